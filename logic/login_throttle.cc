#include "logic/login_throttle.h"

#include <chrono>

#include "common/client_status.h"
#include "common/logging.h"
#include "common/str_cat.h"

namespace im::logic {
namespace {

internal::LoginThrottle Policy(std::int64_t free_failures, const LogicConfig& config) {
  internal::LoginThrottle policy;
  policy.set_free_failures(static_cast<std::uint32_t>(free_failures));
  policy.set_base_delay_ms(config.login_backoff_base_ms);
  policy.set_max_delay_ms(config.login_backoff_max_ms);
  policy.set_window_seconds(config.login_failure_window_seconds);
  return policy;
}

// "12 s", rounded up: what a person reads before trying again.
std::string Seconds(std::int64_t ms) { return common::StrCat((ms + 999) / 1000, " s"); }

}  // namespace

LoginThrottle::LoginThrottle(const LogicConfig& config, StorageApi* storage,
                             common::Metrics* metrics)
    : per_account_(Policy(config.login_free_failures_per_account, config)),
      per_address_(Policy(config.login_free_failures_per_address, config)),
      storage_(storage),
      metrics_(metrics),
      guard_errors_(metrics->Counter(
          "im_logic_login_guard_errors_total",
          "Password logins let through unthrottled because storage could not count them.")) {}

internal::GuardLoginRequest LoginThrottle::Request(internal::GuardLoginRequest::Event event,
                                                   const std::string& username,
                                                   const std::string& address) const {
  internal::GuardLoginRequest request;
  request.set_event(event);
  request.set_username(username);
  request.set_address(address);
  if (event == internal::GuardLoginRequest::FAILED) {
    *request.mutable_per_account() = per_account_;
    *request.mutable_per_address() = per_address_;
  }
  return request;
}

void LoginThrottle::CountGuardError(const absl::Status& status) {
  guard_errors_.Add();
  common::GetLogger("account")->warn("event=login_guard_unavailable error=\"{}\"",
                                     status.message());
}

void LoginThrottle::Admit(const std::string& username, const std::string& address, Done done) {
  storage_->GuardLogin(
      Request(internal::GuardLoginRequest::CHECK, username, address),
      [this, done = std::move(done)](absl::StatusOr<internal::GuardLoginResponse> wait) {
        if (!wait.ok()) {
          CountGuardError(wait.status());
          return done(absl::OkStatus());
        }
        if (wait->retry_after_ms() <= 0) return done(absl::OkStatus());
        metrics_
            ->Counter("im_logic_login_throttled_total",
                      "Password logins refused because of earlier failures, by what waits.",
                      {{"scope", wait->scope()}})
            .Add();
        const std::string what =
            wait->scope() == "address" ? "from your address" : "for this account";
        done(common::WithRetryAfter(absl::ResourceExhaustedError(common::StrCat(
                                        "too many failed logins ", what, "; try again in ",
                                        Seconds(wait->retry_after_ms()))),
                                    std::chrono::milliseconds(wait->retry_after_ms())));
      });
}

void LoginThrottle::Failed(const std::string& username, const std::string& address, Done done) {
  storage_->GuardLogin(
      Request(internal::GuardLoginRequest::FAILED, username, address),
      [this, done = std::move(done)](absl::StatusOr<internal::GuardLoginResponse> wait) {
        absl::Status refused = absl::UnauthenticatedError("wrong username or password");
        if (!wait.ok()) {
          CountGuardError(wait.status());
        } else if (wait->retry_after_ms() > 0) {
          refused = common::WithRetryAfter(std::move(refused),
                                           std::chrono::milliseconds(wait->retry_after_ms()));
        }
        done(std::move(refused));
      });
}

void LoginThrottle::Succeeded(const std::string& username) {
  storage_->GuardLogin(Request(internal::GuardLoginRequest::SUCCEEDED, username, ""),
                       [this](absl::StatusOr<internal::GuardLoginResponse> done) {
                         if (!done.ok()) CountGuardError(done.status());
                       });
}

Suspend<std::monostate> AdmitAttempt(LoginThrottle* throttle, std::string username,
                                     std::string address) {
  return SuspendForStatus([throttle, username = std::move(username),
                           address = std::move(address)](LoginThrottle::Done done) {
    throttle->Admit(username, address, std::move(done));
  });
}

Suspend<std::monostate> CountFailure(LoginThrottle* throttle, std::string username,
                                     std::string address) {
  return SuspendForStatus([throttle, username = std::move(username),
                           address = std::move(address)](LoginThrottle::Done done) {
    throttle->Failed(username, address, std::move(done));
  });
}

}  // namespace im::logic
