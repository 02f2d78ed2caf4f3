#pragma once
// Several coalescing streams (common/stream_client.h) to one peer, so a
// client's calls spread over the peer's replicas: each stream is one RPC that
// the channel's round_robin balancer places on a replica, and with
// Options::max_stream_age each is placed anew from time to time (a replica
// that restarted gets its share back). A call goes on the stream its key picks,
// always the same one for the same key, so calls with one key (a connection's
// requests, a sender's appends) keep their order; calls with different keys
// may overtake each other. One shard behaves exactly like a StreamClient.
//
// Options::max_in_flight bounds each shard. Thread-safe; completions run as
// StreamClient's do. Include only from code that already uses gRPC.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/stream_client.h"

namespace im::common {

template <typename Calls, typename Results>
class ShardedStreamClient {
 public:
  using Shard = StreamClient<Calls, Results>;
  using Request = typename Shard::Request;
  using Response = typename Shard::Response;
  using Reactor = typename Shard::Reactor;

  // At least one shard.
  ShardedStreamClient(std::size_t shards, typename Shard::Open open,
                      const typename Shard::Options& options) {
    for (std::size_t i = 0; i < std::max<std::size_t>(shards, 1); ++i) {
      shards_.push_back(std::make_unique<Shard>(open, options));
    }
  }

  void Submit(std::uint64_t key, Request request, Completion<Response> done) {
    // Fibonacci hashing: consecutive keys (connection ids) land on different shards.
    const std::uint64_t mixed = key * 0x9E3779B97F4A7C15ull;
    shards_[(mixed >> 32) % shards_.size()]->Submit(std::move(request), std::move(done));
  }

  std::size_t shards() const { return shards_.size(); }

 private:
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace im::common
