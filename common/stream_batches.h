#pragma once
// StreamBatches: what a coalescing stream (stream_client.h, stream_server.h)
// has queued to write: a FIFO of protobuf batch messages, each filled with
// items up to kMaxStreamBatchBytes (an item larger than that goes alone), so
// one write never nears gRPC's message size limit. Not thread-safe: the
// stream's lock guards it.

#include <cstddef>
#include <deque>
#include <utility>

namespace im::common {

inline constexpr std::size_t kMaxStreamBatchBytes = 1 << 20;

template <typename Batch>
class StreamBatches {
 public:
  // The batch an item of `bytes` joins (the last one, or a new one).
  Batch& For(std::size_t bytes) {
    if (batches_.empty() || batches_.back().second + bytes > kMaxStreamBatchBytes) {
      batches_.emplace_back();
    }
    batches_.back().second += bytes;
    return batches_.back().first;
  }
  bool empty() const { return batches_.empty(); }
  // Takes the oldest batch. Not when empty().
  Batch Pop() {
    Batch batch = std::move(batches_.front().first);
    batches_.pop_front();
    return batch;
  }

 private:
  std::deque<std::pair<Batch, std::size_t>> batches_;  // with its bytes
};

}  // namespace im::common
