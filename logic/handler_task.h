#pragma once
// C++20 coroutines for logic's handlers, so that a handler reads top to
// bottom instead of nesting a callback per storage call:
//
//   HandlerTask Handlers::Befriend(internal::HandleRequest request, Reply reply) {
//     auto peer = co_await Suspend<internal::User>([&](Done<internal::User> done) {
//       LookUpPeer(*users_, request.session(), name, "...", std::move(done));
//     });
//     if (!peer.ok()) co_return reply(peer.status());
//     auto change = co_await Call(storage_, &StorageClient::RequestFriend, std::move(ask));
//     ...
//   }
//
// A HandlerTask starts at once, owns its frame and frees it when it ends:
// nobody awaits or holds it (fire and forget, like the callbacks it
// replaces). Everything the coroutine uses must live in its frame, so its
// parameters are taken by value, never by reference. It resumes on whatever
// thread ran the callback (a gRPC thread, or the caller's own when the
// callback runs at once), exactly where the old nested lambda would have run.
// An exception escaping the coroutine is logged and ends it; the Reply it
// held then answers the client INTERNAL (see request_dispatcher.h).

#include <atomic>
#include <coroutine>
#include <exception>
#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

#include "absl/status/statusor.h"
#include "logic/request_dispatcher.h"
#include "logic/storage_client.h"

namespace im::logic {

class HandlerTask {
 public:
  struct promise_type {
    HandlerTask get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept;
  };
};

// Awaits a callback API: `start(done)` begins the operation, which calls
// `done` exactly once, on any thread, possibly before `start` returns. A
// `done` that runs before `start` returns does not resume the coroutine from
// inside `start`: the coroutine goes on once `start` has returned, so code
// after the call inside `start` never outlives the coroutine's frame. `start`
// must capture by value what it hands on by reference: the frame it was made
// in may be gone (finished on another thread) before `start` returns.
template <typename T>
class Suspend {
 public:
  using Start = std::function<void(Done<T>)>;
  explicit Suspend(Start start) : start_(std::move(start)) {}

  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> handle) {
    Start start = std::move(start_);  // on this stack: the frame may go first
    start([this, handle](absl::StatusOr<T> result) {
      result_.emplace(std::move(result));
      if (state_.exchange(kDone) == kSuspended) handle.resume();
    });
    // kStarting: `done` has not run yet, so suspend and let it resume us.
    // kDone: it already ran; go on at once without suspending.
    return state_.exchange(kSuspended) == kStarting;
  }
  absl::StatusOr<T> await_resume() { return std::move(*result_); }

 private:
  enum State { kStarting, kSuspended, kDone };
  Start start_;
  std::optional<absl::StatusOr<T>> result_;
  std::atomic<State> state_{kStarting};
};

// Awaits one StorageClient call: `co_await Call(storage_, &StorageClient::GetUser, request)`.
template <typename Client, typename Request, typename Response>
Suspend<Response> Call(Client* client, void (Client::*method)(Request, Done<Response>),
                       std::type_identity_t<Request> request) {
  return Suspend<Response>(
      [client, method, request = std::move(request)](Done<Response> done) mutable {
        (client->*method)(std::move(request), std::move(done));
      });
}

// A Handler that starts the coroutine `owner->method` with a copy of the
// request (the coroutine outlives the caller's reference).
template <typename Owner>
Handler BindHandler(Owner* owner, HandlerTask (Owner::*method)(internal::HandleRequest, Reply)) {
  return [owner, method](const internal::HandleRequest& request, Reply reply) {
    (owner->*method)(request, std::move(reply));
  };
}

}  // namespace im::logic
