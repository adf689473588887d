// A decoded request as a service handler sees it, and the reply it builds.
#pragma once

#include "wire/frame.hpp"

#include <nacre/status.hpp>

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace nacre::wire {

struct Request {
  FrameHeader header;
  std::span<const uint8_t> body;
  std::span<const uint8_t> data;
  int link = 0;  // which client link it came on (for session bookkeeping)
  int rank = 0;
  // OBJ_WRITE_BULK: receives the separate data message (header.data_len
  // bytes) into the given spans. Call at most once; a request whose data
  // was not received is drained by the dispatcher.
  std::function<Status(std::span<const std::span<uint8_t>>)> receive_bulk;
};

// A handler fills body (and data, which must stay valid until the reply is
// sent) and returns OK, or returns an error Status; the dispatcher then
// sends an error reply with error_body_size zero bytes of body and the
// message (at most max_error_text bytes) as data.
struct Reply {
  std::vector<uint8_t> body;
  std::span<const uint8_t> data;
  size_t error_body_size = 0;
  size_t max_error_text = kMaxErrorText;
  // Set by a handler that answers later (a LOCK_ENQUEUE that must wait): the
  // dispatcher sends nothing now.
  bool deferred = false;
};

}  // namespace nacre::wire
