#include "logic/request_dispatcher.h"

#include <atomic>
#include <cassert>
#include <chrono>
#include <memory>

#include "common/client_status.h"
#include "common/logging.h"

namespace im::logic {

void RequestDispatcher::Register(client::ClientFrame::BodyCase body, Access access,
                                 Handler handler) {
  handlers_[static_cast<int>(body)] = Entry{access, std::move(handler)};
}

void RequestDispatcher::Limit(client::ClientFrame::BodyCase body, UserRateLimiter* limiter) {
  handlers_.at(static_cast<int>(body)).limiter = limiter;
}

namespace {

// im_logic_requests_total{type, code} and im_logic_request_seconds{type}.
void Count(common::Metrics& metrics, client::ClientFrame::BodyCase body, const absl::Status& status,
           std::chrono::steady_clock::time_point started) {
  const auto* field = client::ClientFrame::descriptor()->FindFieldByNumber(static_cast<int>(body));
  const std::string type = field != nullptr ? field->name() : "unknown";
  metrics
      .Counter("im_logic_requests_total", "Client requests handled, by type and status.",
               {{"type", type}, {"code", absl::StatusCodeToString(status.code())}})
      .Add();
  metrics
      .Histogram("im_logic_request_seconds", "Time from a request's arrival to its answer.",
                 common::Metrics::LatencyBuckets(), {{"type", type}})
      .Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
}

// Answers a request exactly once, whatever its handler does with its Reply.
class AnswerOnce {
 public:
  using Respond = std::function<void(absl::StatusOr<internal::HandleResponse>)>;
  AnswerOnce(Respond answer, std::uint64_t req_id) : answer_(std::move(answer)), req_id_(req_id) {}
  ~AnswerOnce() {
    if (!answered_.exchange(true)) {
      common::GetLogger("logic")->error("event=request_dropped_unanswered req={}", req_id_);
      answer_(absl::InternalError("the request was dropped unanswered"));
    }
  }
  AnswerOnce(const AnswerOnce&) = delete;
  AnswerOnce& operator=(const AnswerOnce&) = delete;

  void Answer(absl::StatusOr<internal::HandleResponse> result) {
    if (answered_.exchange(true)) {
      common::GetLogger("logic")->error("event=request_answered_twice req={}", req_id_);
      assert(false && "a request was answered twice");
      return;
    }
    answer_(std::move(result));
  }

 private:
  const Respond answer_;
  const std::uint64_t req_id_;
  std::atomic<bool> answered_{false};
};

}  // namespace

void RequestDispatcher::Dispatch(const internal::HandleRequest& request,
                                 std::function<void(internal::HandleResponse)> done) const {
  const std::uint64_t req_id = request.frame().req_id();
  const std::uint64_t user_id = request.session().user_id();
  const auto started = std::chrono::steady_clock::now();
  auto answer = [req_id, user_id, started, metrics = metrics_, body = request.frame().body_case(),
                 done = std::move(done)](absl::StatusOr<internal::HandleResponse> result) {
    if (metrics != nullptr) Count(*metrics, body, result.status(), started);
    internal::HandleResponse response;
    if (result.ok()) {
      response = std::move(*result);
    } else {
      absl::Status status = result.status();
      if (status.code() == absl::StatusCode::kInternal) {
        common::GetLogger("logic")->error("event=request_failed uid={} req={} status=\"{}\"",
                                          user_id, req_id, status);
        status = absl::InternalError("internal error");
      }
      common::SetClientStatus(status, response.mutable_frame()->mutable_status());
    }
    response.mutable_frame()->set_req_id(req_id);
    done(std::move(response));
  };
  // Every copy of the handler's Reply shares this: the first call answers,
  // a second is logged and dropped, and if the last copy goes unanswered
  // the request is answered INTERNAL there and then.
  auto once = std::make_shared<AnswerOnce>(std::move(answer), req_id);
  Reply finish = [once](absl::StatusOr<internal::HandleResponse> result) {
    once->Answer(std::move(result));
  };

  auto it = handlers_.find(static_cast<int>(request.frame().body_case()));
  if (it == handlers_.end()) {
    finish(absl::UnimplementedError("unknown or empty request"));
    return;
  }
  if (it->second.access == Access::kLoggedIn && user_id == 0) {
    finish(absl::UnauthenticatedError("log in first"));
    return;
  }
  if (it->second.limiter != nullptr && user_id != 0) {
    if (absl::Status allowed = it->second.limiter->Take(user_id); !allowed.ok()) {
      finish(std::move(allowed));
      return;
    }
  }
  it->second.handler(request, std::move(finish));
}

}  // namespace im::logic
