// Wire codec: encode_body / decode_body of representative messages (a small
// OPEN request, the fixed OBJ_WRITE header, a 256-entry READDIR page) and
// the frame itself (build_frame + decode_header).
#include "wire/messages.hpp"

#include <benchmark/benchmark.h>

#include <string>

namespace {

using namespace nacre::wire;

OpenRequest sample_open() {
  OpenRequest m;
  m.path = "/project/run-0042/checkpoints/step-000128.h5";
  m.flags = 2 | 4;
  m.mode = 0644;
  m.cred = {1000, 1000};
  m.layout.v = {1 << 20, 4, -1};
  return m;
}

ObjWriteRequest sample_write() { return ObjWriteRequest{0x1234'5678'9ABCull, 64ull << 20}; }

ReaddirReply sample_readdir() {
  ReaddirReply m;
  for (int i = 0; i < 256; ++i)
    m.entries.push_back({"file-" + std::to_string(100000 + i) + ".dat", 1, 1000u + i});
  m.next_cookie = 256;
  m.done = false;
  return m;
}

template <class M>
void BM_encode(benchmark::State& state, M m) {
  size_t bytes = 0;
  for (auto _ : state) {
    auto b = encode_body(m);
    bytes = b.size();
    benchmark::DoNotOptimize(b.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}

template <class M>
void BM_decode(benchmark::State& state, M m) {
  const auto body = encode_body(m);
  for (auto _ : state) {
    M out;
    auto s = decode_body(body, out, "bench");
    if (!s.is_ok()) {
      state.SkipWithError(s.message().c_str());
      break;
    }
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}

BENCHMARK_CAPTURE(BM_encode, OpenRequest, sample_open());
BENCHMARK_CAPTURE(BM_decode, OpenRequest, sample_open());
BENCHMARK_CAPTURE(BM_encode, ObjWriteRequest, sample_write());
BENCHMARK_CAPTURE(BM_decode, ObjWriteRequest, sample_write());
BENCHMARK_CAPTURE(BM_encode, ReaddirReply256, sample_readdir());
BENCHMARK_CAPTURE(BM_decode, ReaddirReply256, sample_readdir());

void BM_build_frame_decode_header(benchmark::State& state) {
  const auto body = encode_body(sample_write());
  const uint64_t data_len = 1 << 20;
  uint64_t id = 0;
  for (auto _ : state) {
    auto frame = build_frame(static_cast<uint16_t>(MsgType::kObjWrite), ++id, 0, body, data_len);
    auto h = decode_header(frame, frame.size() + data_len);
    if (!h.is_ok()) {
      state.SkipWithError(h.status().message().c_str());
      break;
    }
    benchmark::DoNotOptimize(h->request_id);
  }
}
BENCHMARK(BM_build_frame_decode_header);

}  // namespace
