#include "transport/loopback_transport.hpp"

#include "wire/frame.hpp"

#include <algorithm>
#include <cstring>
#include <string>

namespace nacre::transport {

class LoopbackClient final : public ClientTransport {
 public:
  LoopbackClient(LoopbackNetwork& net, int index)
      : net_(net), index_(index), threads_(net.client_threads_) {}
  int server_count() const override { return net_.servers_; }
  bool supports_threads() const override { return threads_; }

  Status exchange(std::span<Call> calls) override {
    std::unique_lock<std::mutex> lock(net_.mu_);
    int remaining = static_cast<int>(calls.size());
    for (Call& c : calls) {
      if (c.server < 0 || c.server >= net_.servers_)
        return Status::error(EINVAL, "no server " + std::to_string(c.server));
      LoopbackNetwork::Envelope env;
      env.peer = PeerId{0, index_};
      env.message = c.head;
      std::vector<uint8_t>& data = c.bulk ? net_.bulk_[{index_, c.request_id}] : env.message;
      for (const auto& s : c.out_data) {
        const auto* p = static_cast<const uint8_t*>(s.ptr);
        data.insert(data.end(), p, p + s.len);
      }
      c.reply.clear();
      c.reply_data_received = 0;
      net_.waiting_[{index_, c.request_id}] = {&c, &remaining};
      net_.queues_[c.server].push_back(std::move(env));
    }
    net_.cv_.notify_all();
    net_.cv_.wait(lock, [&] { return remaining == 0; });
    return Status::ok();
  }

  std::unique_ptr<ClientTransport> make_callback_transport() override {
    return std::make_unique<LoopbackClient>(net_, index_);
  }

  bool poll_callback(std::vector<uint8_t>* frame) override {
    std::lock_guard<std::mutex> lock(net_.mu_);
    auto& q = net_.callbacks_[index_];
    if (q.empty()) return false;
    *frame = std::move(q.front());
    q.pop_front();
    return true;
  }

 private:
  LoopbackNetwork& net_;
  int index_;
  bool threads_;
};

class LoopbackServer final : public ServerTransport {
 public:
  LoopbackServer(LoopbackNetwork& net, int index) : net_(net), index_(index) {}

  Status receive_for(Incoming& in, bool* finished, std::chrono::milliseconds max_wait,
                     bool* timed_out) override {
    std::unique_lock<std::mutex> lock(net_.mu_);
    *timed_out = false;
    *finished = false;
    auto ready = [&] { return !net_.queues_[index_].empty() || finished_; };
    if (max_wait == std::chrono::milliseconds::max()) {
      net_.cv_.wait(lock, ready);
    } else if (!net_.cv_.wait_for(lock, max_wait, ready)) {
      *timed_out = true;
      return Status::ok();
    }
    if (net_.queues_[index_].empty()) {
      *finished = true;
      return Status::ok();
    }
    current_ = std::move(net_.queues_[index_].front());
    net_.queues_[index_].pop_front();
    in.peer = current_.peer;
    in.size = current_.message.size();
    in.oversize = in.size > wire::kMaxMessageBytes;
    if (in.oversize) current_.message.resize(wire::kFrameHeaderSize);
    in.message = current_.message;
    return Status::ok();
  }

  Status reply(const PeerId& peer, uint64_t request_id, std::span<const uint8_t> head,
               std::span<const ConstSegment> data) override {
    std::lock_guard<std::mutex> lock(net_.mu_);
    auto it = net_.waiting_.find({peer.rank, request_id});
    if (it == net_.waiting_.end()) return Status::ok();  // nobody waits (bad request id)
    Call& c = *it->second.call;
    std::vector<uint8_t> all(head.begin(), head.end());
    for (const auto& s : data) {
      const auto* p = static_cast<const uint8_t*>(s.ptr);
      all.insert(all.end(), p, p + s.len);
    }
    if (c.in_data.empty()) {
      all.resize(std::min(all.size(), wire::kMaxControlBytes));
      c.reply = std::move(all);
    } else {
      const size_t prefix = std::min(all.size(), c.reply_prefix);
      c.reply.assign(all.begin(), all.begin() + static_cast<long>(prefix));
      size_t pos = prefix;
      for (const auto& s : c.in_data) {
        const size_t take = std::min(s.len, all.size() - pos);
        if (take) std::memcpy(s.ptr, all.data() + pos, take);
        pos += take;
      }
      c.reply_data_received = pos - prefix;
    }
    --*it->second.remaining;
    net_.waiting_.erase(it);
    net_.cv_.notify_all();
    return Status::ok();
  }

  Status receive_bulk(const PeerId& peer, uint64_t request_id, std::span<const MutSegment> segs,
                      size_t len) override {
    std::lock_guard<std::mutex> lock(net_.mu_);
    auto it = net_.bulk_.find({peer.rank, request_id});
    if (it == net_.bulk_.end()) return Status::error(EBADMSG, "no bulk data for the request");
    std::vector<uint8_t> data = std::move(it->second);
    net_.bulk_.erase(it);
    if (data.size() != len)
      return Status::error(EBADMSG, "bulk data of " + std::to_string(data.size()) +
                                        " bytes where the request announced " + std::to_string(len));
    size_t pos = 0;
    for (const auto& s : segs) {
      std::memcpy(s.ptr, data.data() + pos, s.len);
      pos += s.len;
    }
    return Status::ok();
  }
  Status discard_bulk(const PeerId& peer, uint64_t request_id) override {
    std::lock_guard<std::mutex> lock(net_.mu_);
    net_.bulk_.erase({peer.rank, request_id});
    return Status::ok();
  }

  Status send_callback(const PeerId& peer, std::span<const uint8_t> frame) override {
    std::lock_guard<std::mutex> lock(net_.mu_);
    if (peer.rank < 0 || peer.rank >= net_.clients_)
      return Status::error(ENOTCONN, "no client " + std::to_string(peer.rank));
    net_.callbacks_[peer.rank].emplace_back(frame.begin(), frame.end());
    return Status::ok();
  }

  int link_clients(int) const override { return net_.clients_; }
  void link_finished(int) override {
    std::lock_guard<std::mutex> lock(net_.mu_);
    finished_ = true;
    net_.cv_.notify_all();
  }
  void request_shutdown() override {}
  void stop() {
    std::lock_guard<std::mutex> lock(net_.mu_);
    finished_ = true;
    net_.cv_.notify_all();
  }

 private:
  LoopbackNetwork& net_;
  int index_;
  bool finished_ = false;  // guarded by net_.mu_
  LoopbackNetwork::Envelope current_;
};

LoopbackNetwork::LoopbackNetwork(int servers, int clients)
    : servers_(servers), clients_(clients), queues_(servers), callbacks_(clients) {
  for (int i = 0; i < servers; ++i) server_ports_.push_back(std::make_unique<LoopbackServer>(*this, i));
}

LoopbackNetwork::~LoopbackNetwork() = default;

std::unique_ptr<ClientTransport> LoopbackNetwork::client(int index) {
  return std::make_unique<LoopbackClient>(*this, index);
}

ServerTransport& LoopbackNetwork::server(int index) { return *server_ports_.at(index); }

}  // namespace nacre::transport
