#include "wire/messages.hpp"

namespace nacre::wire {

WireLayout WireLayout::from(const Layout& l) {
  WireLayout w;
  w.stripe_size = l.stripe_size;
  for (const auto& s : l.stripes) w.stripes.push_back({s});
  for (const auto& m : l.mirrors) {
    WireMirror wm;
    for (const auto& s : m) wm.stripes.push_back({s});
    w.mirrors.push_back(std::move(wm));
  }
  return w;
}

Layout WireLayout::to_layout() const {
  Layout l;
  l.stripe_size = stripe_size;
  for (const auto& s : stripes) l.stripes.push_back(s.v);
  for (const auto& m : mirrors) {
    std::vector<StripeTarget> copy;
    for (const auto& s : m.stripes) copy.push_back(s.v);
    l.mirrors.push_back(std::move(copy));
  }
  return l;
}

WireStat WireStat::from(const FileStat& s) {
  WireStat w;
  w.ino = s.ino;
  w.type = static_cast<uint8_t>(s.type);
  w.mode = s.mode;
  w.uid = s.uid;
  w.gid = s.gid;
  w.nlink = s.nlink;
  w.size = s.size;
  w.atime.v = s.atime;
  w.mtime.v = s.mtime;
  w.ctime.v = s.ctime;
  return w;
}

FileStat WireStat::to_stat() const {
  FileStat s;
  s.ino = ino;
  s.type = type == static_cast<uint8_t>(FileType::kDirectory) ? FileType::kDirectory
                                                               : FileType::kRegular;
  s.mode = mode;
  s.uid = uid;
  s.gid = gid;
  s.nlink = nlink;
  s.size = size;
  s.atime = atime.v;
  s.mtime = mtime.v;
  s.ctime = ctime.v;
  return s;
}

}  // namespace nacre::wire
