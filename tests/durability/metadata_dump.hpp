// A whole-namespace dump through the MetadataStore interface, for comparing
// two stores (or one store before and after reopening).
#pragma once

#include "mds/metadata_store.hpp"

#include <sstream>
#include <string>

namespace nacre::testing {

// One line per path: type, ino, mode, owner, nlink, layout (files) or
// default layout (directories); with_times adds atime/mtime/ctime.
inline std::string dump_namespace(mds::MetadataStore& md, bool with_times,
                                  const std::string& dir = "/") {
  std::ostringstream out;
  auto line = [&](const std::string& path) {
    auto st = md.stat(path);
    if (!st) {
      out << path << " stat error " << st.status().to_string() << "\n";
      return;
    }
    const FileStat& s = st->stat;
    out << path << " type=" << int(s.type) << " ino=" << s.ino << " mode=" << s.mode
        << " uid=" << s.uid << " gid=" << s.gid << " nlink=" << s.nlink;
    if (with_times)
      out << " t=" << s.atime.sec << "." << s.atime.nsec << "/" << s.mtime.sec << "."
          << s.mtime.nsec << "/" << s.ctime.sec << "." << s.ctime.nsec;
    out << " layout=" << st->layout.stripe_size;
    for (const auto& t : st->layout.stripes) out << "," << t.server << ":" << t.object_id;
    if (s.type == FileType::kDirectory) {
      auto d = md.get_dir_layout(path);
      if (d) out << " default=" << d->stripe_size << "/" << d->stripe_count << "/" << d->first_server;
    }
    out << "\n";
  };
  if (dir == "/") line("/");
  uint64_t cookie = 0;
  for (;;) {
    auto page = md.readdir(dir, cookie, 7);
    if (!page) {
      out << dir << " readdir error " << page.status().to_string() << "\n";
      return out.str();
    }
    for (const auto& e : page->entries) {
      const std::string p = (dir == "/" ? "" : dir) + "/" + e.name;
      line(p);
      if (e.type == FileType::kDirectory) out << dump_namespace(md, with_times, p);
    }
    cookie = page->next_cookie;
    if (page->done) break;
  }
  return out.str();
}

}  // namespace nacre::testing
