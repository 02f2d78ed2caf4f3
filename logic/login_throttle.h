#pragma once
// Slows password guessing down, on every logic replica at once: before a
// password is checked, asks storage whether the account name or the client's
// address must still wait (storage/login_guard.h keeps the counts in Redis);
// after a wrong name or password, counts the failure there. The policy is the
// `login_*` settings of LogicConfig.
//
// An unknown name counts like a wrong password, and both are answered the same
// "wrong username or password", so waits and answers tell nothing about which
// names exist. When storage cannot answer (Redis down), attempts go ahead
// unthrottled: an outage must not lock every user out. It is logged and
// counted in im_logic_login_guard_errors_total; refusals are counted in
// im_logic_login_throttled_total{scope="account"|"address"}.
// Thread-safe; callbacks run on gRPC threads and must not block.

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "common/metrics.h"
#include "logic/handler_task.h"
#include "logic/logic_config.h"
#include "logic/storage_api.h"

namespace im::logic {

class LoginThrottle {
 public:
  using Done = std::function<void(absl::Status)>;

  LoginThrottle(const LogicConfig& config, StorageApi* storage, common::Metrics* metrics);

  // done(OK) if an attempt may go ahead now, else RESOURCE_EXHAUSTED with a
  // retry-after hint.
  void Admit(const std::string& username, const std::string& address, Done done);
  // Counts a failed attempt; done gets the answer for it: UNAUTHENTICATED
  // "wrong username or password", with a retry-after hint if the next attempt
  // must wait.
  void Failed(const std::string& username, const std::string& address, Done done);
  // Forgets the account's failures (in the background).
  void Succeeded(const std::string& username);

 private:
  internal::GuardLoginRequest Request(internal::GuardLoginRequest::Event event,
                                      const std::string& username,
                                      const std::string& address) const;
  void CountGuardError(const absl::Status& status);

  internal::LoginThrottle per_account_;
  internal::LoginThrottle per_address_;
  StorageApi* storage_;
  common::Metrics* metrics_;
  common::MetricCounter& guard_errors_;
};

// LoginThrottle::Admit and ::Failed for a handler coroutine (handler_task.h):
// `absl::Status admitted = (co_await AdmitAttempt(...)).status();`
Suspend<std::monostate> AdmitAttempt(LoginThrottle* throttle, std::string username,
                                     std::string address);
Suspend<std::monostate> CountFailure(LoginThrottle* throttle, std::string username,
                                     std::string address);

}  // namespace im::logic
