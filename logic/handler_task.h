#pragma once
// C++20 coroutines for logic's handlers, so that a handler reads top to
// bottom instead of nesting a callback per storage call:
//
//   HandlerTask Handlers::Befriend(internal::HandleRequest request, Reply reply) {
//     auto peer = co_await PeerNamed(*users_, request.session(), name, "...");
//     if (!peer.ok()) co_return reply(peer.status());
//     auto change = co_await Call(storage_, &StorageApi::RequestFriend, std::move(ask));
//     ...
//   }
//
// A HandlerTask starts at once, owns its frame and frees it when it ends:
// nobody awaits or holds it (fire and forget, like the callbacks it
// replaces). Everything the coroutine uses must live in its frame, so its
// parameters are taken by value, never by reference. It resumes on whatever
// thread ran the callback (a gRPC thread or a hash worker), exactly where the
// old nested lambda would have run. An exception escaping the coroutine is
// logged and ends it; the Reply it held then answers the client INTERNAL
// (see request_dispatcher.h).
//
// GCC 12 (Debian 12's compiler) destroys a lambda written inside a co_await
// expression twice when the lambda captures anything with a destructor
// (a std::string, a protobuf): a double free. So a coroutine never writes
// `co_await Suspend<T>([captures] ...)`: it awaits what a plain function
// returns (Call, PeerNamed, HashWorkerTurn, AdmitAttempt, ...), which builds
// the lambda outside the coroutine. (Found as an im-logic crash at the first
// login; valgrind on a small coroutine showed the second destruction.)

#include <atomic>
#include <coroutine>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include "absl/status/statusor.h"
#include "logic/request_dispatcher.h"
#include "logic/storage_api.h"

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
// `done` once, on any thread, possibly before `start` returns. A `done` that
// runs before `start` returns does not resume the coroutine from inside
// `start`: the coroutine goes on once `start` has returned, so code after
// the call inside `start` never outlives the coroutine's frame. `start` must
// capture by value what it hands on by reference: the frame it was made in
// may be gone (finished on another thread) before `start` returns.
// A `done` destroyed uncalled (its operation dropped it) resumes the
// coroutine with INTERNAL, so a handler is never left suspended forever.
template <typename T>
class Suspend {
 public:
  using Start = std::function<void(Done<T>)>;
  explicit Suspend(Start start) : start_(std::move(start)) {}

  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> handle) {
    Start start = std::move(start_);  // on this stack: the frame may go first
    start([resumer = std::make_shared<Resumer>(this, handle)](absl::StatusOr<T> result) {
      resumer->Complete(std::move(result));
    });
    // kStarting: `done` has not run yet, so suspend and let it resume us.
    // kDone: it already ran; go on at once without suspending.
    return state_.exchange(kSuspended) == kStarting;
  }
  absl::StatusOr<T> await_resume() { return std::move(*result_); }

 private:
  enum State { kStarting, kSuspended, kDone };

  // Shared by the copies of one `done`; the last copy gone uncalled completes it.
  class Resumer {
   public:
    Resumer(Suspend* awaiter, std::coroutine_handle<> handle)
        : awaiter_(awaiter), handle_(handle) {}
    Resumer(const Resumer&) = delete;
    Resumer& operator=(const Resumer&) = delete;
    ~Resumer() {
      if (!completed_) Complete(absl::InternalError("an operation ended without an answer"));
    }
    void Complete(absl::StatusOr<T> result) {
      if (completed_) return;  // a second call breaks the contract: ignored
      completed_ = true;
      awaiter_->result_.emplace(std::move(result));
      if (awaiter_->state_.exchange(kDone) == kSuspended) handle_.resume();
    }

   private:
    Suspend* const awaiter_;
    const std::coroutine_handle<> handle_;
    bool completed_ = false;
  };

  Start start_;
  std::optional<absl::StatusOr<T>> result_;
  std::atomic<State> state_{kStarting};
};

// Awaits a callback API whose callback takes a bare absl::Status:
// `absl::Status s = (co_await SuspendForStatus(...)).status();`
inline Suspend<std::monostate> SuspendForStatus(
    std::function<void(std::function<void(absl::Status)>)> start) {
  return Suspend<std::monostate>([start = std::move(start)](Done<std::monostate> done) {
    start([done = std::move(done)](absl::Status status) {
      if (status.ok()) return done(std::monostate{});
      done(std::move(status));
    });
  });
}

// Awaits one storage call: `co_await Call(storage_, &StorageApi::GetUser, request)`.
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
