#pragma once
// Routes each client request to its handler by the ClientFrame body type: a
// table, not a switch. The dispatcher owns the rules every request shares:
// unknown or empty requests get UNIMPLEMENTED, requests that need a login get
// UNAUTHENTICATED before one, every reply carries the request's req_id, and an
// INTERNAL error reaches the client as "internal error" (details are logged),
// and a type with a per-user rate limit is refused past it before its handler
// runs.
// Register handlers at start-up; Dispatch is thread-safe afterwards.

#include <functional>
#include <unordered_map>

#include "absl/status/statusor.h"
#include "common/metrics.h"
#include "logic.pb.h"
#include "logic/user_rate_limiter.h"

namespace im::logic {

// What a handler answers: an error, or a response whose frame body is set
// (the dispatcher fills req_id and status). Copies share one answer: the
// first call answers the request; a second is logged and dropped (and fails
// an assert in debug builds); a request whose last copy of its Reply is
// destroyed uncalled is answered INTERNAL then (and logged), so a client is
// never left waiting by a handler's bug.
using Reply = std::function<void(absl::StatusOr<internal::HandleResponse>)>;
using Handler = std::function<void(const internal::HandleRequest& request, Reply reply)>;

enum class Access { kPublic, kLoggedIn };

// A Handler that calls `owner->method`.
template <typename Owner>
Handler BindHandler(Owner* owner, void (Owner::*method)(const internal::HandleRequest&, Reply)) {
  return [owner, method](const internal::HandleRequest& request, Reply reply) {
    (owner->*method)(request, std::move(reply));
  };
}

class RequestDispatcher {
 public:
  // With `metrics`, every request is counted by type and status
  // (im_logic_requests_total) and timed (im_logic_request_seconds).
  explicit RequestDispatcher(common::Metrics* metrics = nullptr) : metrics_(metrics) {}

  void Register(client::ClientFrame::BodyCase body, Access access, Handler handler);
  // Requests of type `body` (registered before) from a logged-in user pass
  // `limiter` first. `limiter` outlives the dispatcher.
  void Limit(client::ClientFrame::BodyCase body, UserRateLimiter* limiter);

  // Calls `done` exactly once with the complete response.
  void Dispatch(const internal::HandleRequest& request,
                std::function<void(internal::HandleResponse)> done) const;

 private:
  struct Entry {
    Access access;
    Handler handler;
    UserRateLimiter* limiter = nullptr;
  };
  std::unordered_map<int, Entry> handlers_;
  common::Metrics* metrics_;
};

}  // namespace im::logic
