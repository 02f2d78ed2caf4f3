#include "logic/hash_work.h"

#include "common/client_status.h"

namespace im::logic {

Suspend<std::monostate> HashWorkerTurn(common::WorkPool* pool, std::chrono::milliseconds max_wait) {
  return Suspend<std::monostate>([pool, max_wait](Done<std::monostate> done) {
    const auto queued = std::chrono::steady_clock::now();
    auto shared = std::make_shared<Done<std::monostate>>(std::move(done));
    const bool submitted = pool->Submit([queued, max_wait, shared] {
      if (std::chrono::steady_clock::now() - queued > max_wait) {
        return (*shared)(common::WithRetryAfter(absl::UnavailableError("server busy, try again"),
                                                std::chrono::seconds(1)));
      }
      (*shared)(std::monostate{});
    });
    if (!submitted) (*shared)(absl::ResourceExhaustedError("server busy, try again"));
  });
}

}  // namespace im::logic
