#pragma once
// How a client spreads its hot calls over a replicated peer's replicas
// (common/sharded_stream_client.h): the number of coalescing streams, each
// placed on a replica by the channel's balancer, and how often each is
// placed anew. From the daemon's config (`*_streams`, `stream_rebalance_ms`).

#include <chrono>
#include <cstddef>

namespace im::common {

struct StreamSpread {
  std::size_t streams = 1;  // one per replica: more only make smaller batches
  std::chrono::milliseconds rebalance{60000};  // 0: a stream stays until it breaks
};

}  // namespace im::common
