#include "storage/login_guard.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <vector>

#include "common/str_cat.h"

namespace im::storage {
namespace {

// KEYS[1] failure counter, KEYS[2] wait marker; ARGV window seconds, free
// failures, base delay ms, max delay ms. Returns the wait imposed (ms).
constexpr std::string_view kFailedScript = R"lua(
local n = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[1])
local free = tonumber(ARGV[2])
if n <= free then return 0 end
local delay = math.min(tonumber(ARGV[3]) * 2 ^ math.min(n - free - 1, 40), tonumber(ARGV[4]))
delay = math.floor(delay)
if delay <= 0 then return 0 end
redis.call('SET', KEYS[2], '1', 'PX', delay)
return delay
)lua";

struct Keys {
  std::string failures;
  std::string wait;
};

Keys AccountKeys(std::string_view username) {
  return {common::StrCat("login:fail:acct:", username),
          common::StrCat("login:wait:acct:", username)};
}

Keys AddressKeys(std::string_view address) {
  return {common::StrCat("login:fail:addr:", address), common::StrCat("login:wait:addr:", address)};
}

std::vector<std::string> FailedCommand(const Keys& keys, const internal::LoginThrottle& policy) {
  return {"EVAL",
          std::string(kFailedScript),
          "2",
          keys.failures,
          keys.wait,
          std::to_string(std::max<std::int64_t>(policy.window_seconds(), 1)),
          std::to_string(policy.free_failures()),
          std::to_string(std::max<std::int64_t>(policy.base_delay_ms(), 0)),
          std::to_string(std::max<std::int64_t>(policy.max_delay_ms(), 0))};
}

// The longer of the waits in `replies` (integers: ms; PTTL's -1/-2: none),
// named by `scopes`.
absl::StatusOr<LoginGuard::Wait> LongestWait(const std::vector<RedisReplyPtr>& replies,
                                             const std::vector<std::string>& scopes) {
  LoginGuard::Wait wait;
  for (std::size_t i = 0; i < replies.size(); ++i) {
    const redisReply* reply = replies[i].get();
    if (reply->type == REDIS_REPLY_ERROR) return RedisErrorStatus(*reply);
    if (reply->type != REDIS_REPLY_INTEGER) {
      return absl::InternalError("unexpected Redis reply for a login wait");
    }
    if (reply->integer > wait.retry_after_ms) {
      wait.retry_after_ms = reply->integer;
      wait.scope = scopes[i];
    }
  }
  return wait;
}

}  // namespace

absl::StatusOr<LoginGuard::Wait> LoginGuard::Check(std::string_view username,
                                                   std::string_view address) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  std::vector<std::vector<std::string>> commands = {{"PTTL", AccountKeys(username).wait}};
  std::vector<std::string> scopes = {"account"};
  if (!address.empty()) {
    commands.push_back({"PTTL", AddressKeys(address).wait});
    scopes.push_back("address");
  }
  auto replies = (*conn)->Pipeline(commands);
  if (!replies.ok()) return replies.status();
  return LongestWait(*replies, scopes);
}

absl::StatusOr<LoginGuard::Wait> LoginGuard::Failed(std::string_view username,
                                                    std::string_view address,
                                                    const internal::LoginThrottle& per_account,
                                                    const internal::LoginThrottle& per_address) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  std::vector<std::vector<std::string>> commands = {
      FailedCommand(AccountKeys(username), per_account)};
  std::vector<std::string> scopes = {"account"};
  if (!address.empty()) {
    commands.push_back(FailedCommand(AddressKeys(address), per_address));
    scopes.push_back("address");
  }
  auto replies = (*conn)->Pipeline(commands);
  if (!replies.ok()) return replies.status();
  return LongestWait(*replies, scopes);
}

absl::Status LoginGuard::Succeeded(std::string_view username) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  const Keys keys = AccountKeys(username);
  auto reply = (*conn)->Command({"DEL", keys.failures, keys.wait});
  return reply.status();
}

}  // namespace im::storage
