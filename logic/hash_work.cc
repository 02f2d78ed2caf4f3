#include "logic/hash_work.h"

#include "common/client_status.h"

namespace im::logic {

void SubmitHashWork(common::WorkPool* pool, std::chrono::milliseconds max_wait, const Reply& reply,
                    std::function<void()> work) {
  const auto queued = std::chrono::steady_clock::now();
  const bool submitted = pool->Submit([queued, max_wait, reply, work = std::move(work)] {
    if (std::chrono::steady_clock::now() - queued > max_wait) {
      return reply(common::WithRetryAfter(absl::UnavailableError("server busy, try again"),
                                          std::chrono::seconds(1)));
    }
    work();
  });
  if (!submitted) reply(absl::ResourceExhaustedError("server busy, try again"));
}

}  // namespace im::logic
