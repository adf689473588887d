#include "mds/mds_handlers.hpp"

#include "wire/messages.hpp"

namespace nacre::mds {

using wire::MsgType;

bool is_mds_request(uint16_t type) {
  switch (static_cast<MsgType>(type)) {
    case MsgType::kMkdir: case MsgType::kRmdir: case MsgType::kOpen: case MsgType::kClose:
    case MsgType::kStat: case MsgType::kUnlink: case MsgType::kRename: case MsgType::kReaddir:
    case MsgType::kSetattr: case MsgType::kSetDirLayout: case MsgType::kGetDirLayout:
    case MsgType::kListFiles:
      return true;
    default:
      return false;
  }
}

namespace {

Credentials cred_of(const wire::Credentials& c) { return Credentials{c.uid, c.gid}; }

wire::ReleaseReply release_reply(const Release& r) {
  wire::ReleaseReply out;
  out.destroy = r.destroy;
  out.layout = wire::WireLayout::from(r.layout);
  return out;
}

template <class M>
Status decode(const wire::Request& req, M& m) {
  return wire::decode_body(req.body, m, wire::msg_type_name(req.header.type));
}

}  // namespace

Status handle_mds_request(MetadataStore& store, const wire::Request& req, wire::Reply& reply) {
  switch (static_cast<MsgType>(req.header.type)) {
    case MsgType::kMkdir: {
      wire::MkdirRequest m;
      NACRE_RETURN_IF_ERROR(decode(req, m));
      return store.mkdir(m.path, m.mode, cred_of(m.cred));
    }
    case MsgType::kRmdir: {
      wire::PathRequest m;
      NACRE_RETURN_IF_ERROR(decode(req, m));
      return store.rmdir(m.path, Credentials{});
    }
    case MsgType::kOpen: {
      wire::OpenRequest m;
      NACRE_RETURN_IF_ERROR(decode(req, m));
      auto r = store.open(m.path, m.flags, m.mode, cred_of(m.cred), m.layout.v);
      if (!r) return r.status();
      wire::OpenReply out;
      out.created = r->created;
      out.stat = wire::WireStat::from(r->stat);
      out.layout = wire::WireLayout::from(r->layout);
      reply.body = wire::encode_body(out);
      return Status::ok();
    }
    case MsgType::kClose: {
      wire::CloseRequest m;
      NACRE_RETURN_IF_ERROR(decode(req, m));
      auto r = store.close(m.ino);
      if (!r) return r.status();
      reply.body = wire::encode_body(release_reply(*r));
      return Status::ok();
    }
    case MsgType::kStat: {
      wire::PathRequest m;
      NACRE_RETURN_IF_ERROR(decode(req, m));
      auto r = store.stat(m.path);
      if (!r) return r.status();
      wire::StatReply out;
      out.stat = wire::WireStat::from(r->stat);
      out.layout = wire::WireLayout::from(r->layout);
      reply.body = wire::encode_body(out);
      return Status::ok();
    }
    case MsgType::kUnlink: {
      wire::PathRequest m;
      NACRE_RETURN_IF_ERROR(decode(req, m));
      auto r = store.unlink(m.path, Credentials{});
      if (!r) return r.status();
      reply.body = wire::encode_body(release_reply(*r));
      return Status::ok();
    }
    case MsgType::kRename: {
      wire::RenameRequest m;
      NACRE_RETURN_IF_ERROR(decode(req, m));
      auto r = store.rename(m.from, m.to, Credentials{});
      if (!r) return r.status();
      reply.body = wire::encode_body(release_reply(*r));
      return Status::ok();
    }
    case MsgType::kReaddir: {
      wire::ReaddirRequest m;
      NACRE_RETURN_IF_ERROR(decode(req, m));
      if (m.max_entries == 0 || m.max_entries > 1024)
        return Status::error(EINVAL, "readdir max_entries must be 1..1024");
      auto r = store.readdir(m.path, m.cookie, m.max_entries);
      if (!r) return r.status();
      // Fill the page only as far as it fits one control message; the client
      // continues from next_cookie.
      wire::ReaddirReply out;
      size_t bytes = wire::kFrameHeaderSize + 4 + 8 + 1;
      for (const auto& e : r->entries) {
        const size_t entry = 4 + e.name.size() + 1 + 8;
        if (bytes + entry > wire::kMaxControlBytes) break;
        bytes += entry;
        out.entries.push_back({e.name, static_cast<uint8_t>(e.type), e.ino});
      }
      out.next_cookie = m.cookie + out.entries.size();
      out.done = r->done && out.entries.size() == r->entries.size();
      reply.body = wire::encode_body(out);
      return Status::ok();
    }
    case MsgType::kListFiles: {
      wire::ListFilesRequest m;
      NACRE_RETURN_IF_ERROR(decode(req, m));
      if (m.max_entries == 0 || m.max_entries > wire::kMaxListField)
        return Status::error(EINVAL, "LIST_FILES max_entries must be 1.." +
                                         std::to_string(wire::kMaxListField));
      auto r = store.list_files(m.cookie, m.max_entries);
      if (!r) return r.status();
      // As many entries as fit one control message; the rest on the next call.
      wire::ListFilesReply out;
      size_t bytes = wire::kFrameHeaderSize + 4 + 8 + 1;
      out.done = r->done;
      out.next_cookie = r->next_cookie;
      for (const auto& e : r->entries) {
        const size_t entry = 8 + 4 + 8 + 4 + 4 + 12 * e.layout.stripes.size() * e.layout.copies() +
                             4 * e.layout.mirrors.size();
        if (bytes + entry > wire::kMaxControlBytes) {
          out.done = false;
          out.next_cookie = e.ino;
          break;
        }
        bytes += entry;
        out.entries.push_back({e.ino, e.nlink, wire::WireLayout::from(e.layout)});
      }
      if (out.entries.empty() && !r->entries.empty())
        return Status::error(EMSGSIZE, "LIST_FILES: the layout of inode " +
                                           std::to_string(r->entries.front().ino) +
                                           " does not fit one message");
      reply.body = wire::encode_body(out);
      return Status::ok();
    }
    case MsgType::kSetattr: {
      wire::SetattrRequest m;
      NACRE_RETURN_IF_ERROR(decode(req, m));
      return store.setattr(m.path, m.mask, m.mode, Credentials{});
    }
    case MsgType::kSetDirLayout: {
      wire::SetDirLayoutRequest m;
      NACRE_RETURN_IF_ERROR(decode(req, m));
      return store.set_dir_layout(m.path, m.layout.v);
    }
    case MsgType::kGetDirLayout: {
      wire::PathRequest m;
      NACRE_RETURN_IF_ERROR(decode(req, m));
      auto r = store.get_dir_layout(m.path);
      if (!r) return r.status();
      reply.body = wire::encode_body(wire::DirLayoutReply{{*r}});
      return Status::ok();
    }
    default:
      return Status::error(ENOSYS, std::string("not a metadata request: ") +
                                       wire::msg_type_name(req.header.type));
  }
}

}  // namespace nacre::mds
