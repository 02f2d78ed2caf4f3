#include "logic/logic_config.h"

#include "common/grpc_server.h"
#include "logic/message_policy.h"
#include "logic/webhook_client.h"

namespace im::logic {

void LogicConfig::Describe(common::ConfigSchema& s) {
  s.Add("listen", &listen, "host:port of the Logic gRPC service");
  s.Add("storage_target", &storage_target,
        "host:port of im-storage, or a comma-separated list of IPv4 host:port replicas");
  s.Add("log_level", &log_level, "debug, info, warn or error");
  s.Add("metrics_listen", &metrics_listen,
        "IPv4 host:port serving Prometheus metrics on GET /metrics (empty: off)");
  s.Add("storage_timeout_ms", &storage_timeout_ms, "deadline of each call to storage", 50, 60000);
  s.Add("storage_streams", &storage_streams,
        "coalescing streams for each kind of hot call to storage (appends, acks, logins), spread "
        "over its replicas (a sender's appends keep to one): set it to the number of storage "
        "replicas (more streams than replicas only make smaller batches)",
        1, 64);
  s.Add("stream_rebalance_ms", &stream_rebalance_ms,
        "each stream to storage is replaced this often, so a replica that came back gets its "
        "share (0: never)",
        0, 86400000);
  s.Add("push_timeout_ms", &push_timeout_ms, "deadline of each push to an access node", 50, 60000);
  s.Add("session_ttl_seconds", &session_ttl_seconds, "lifetime of a login's session token", 60,
        365 * 86400);
  s.Add("password_workers", &password_workers, "threads hashing passwords", 1, 64);
  s.Add("password_queue_max_wait_ms", &password_queue_max_wait_ms,
        "a register or login whose hash waited longer than this for a worker is answered "
        "\"busy\" instead (keep it well below im-access's logic_timeout_ms)",
        10, 60000);
  s.Add("login.free_failures_per_account", &login_free_failures_per_account,
        "wrong passwords for one account name that cost no wait (per failure window)", 0, 1000);
  s.Add("login.free_failures_per_address", &login_free_failures_per_address,
        "failed password logins from one client address that cost no wait (per failure window)", 0,
        1000000);
  s.Add("login.backoff_base_ms", &login_backoff_base_ms,
        "the wait after the first failure beyond the free ones; it doubles with each further one",
        0, 3600000);
  s.Add("login.backoff_max_ms", &login_backoff_max_ms, "the longest wait between attempts", 0,
        86400000);
  s.Add("login.failure_window_seconds", &login_failure_window_seconds,
        "failures are forgotten this long after the last one", 1, 86400);
  s.Add("password.ops_limit", &password_ops_limit, "argon2id passes", 1, 10);
  s.Add("password.mem_limit_kib", &password_mem_limit_kib, "argon2id memory in KiB", 8,
        1024 * 1024);
  s.Add("limits.messages_per_minute", &messages_per_minute,
        "messages (1:1 and group) one user may send per minute, per logic replica (0: no limit)", 0,
        100000000);
  s.Add("limits.messages_burst", &messages_burst, "...of which this many at once", 1, 100000000);
  s.Add("limits.friend_requests_per_minute", &friend_requests_per_minute,
        "friend requests one user may send per minute, per logic replica (0: no limit)", 0,
        100000000);
  s.Add("limits.friend_requests_burst", &friend_requests_burst, "...of which this many at once", 1,
        100000000);
  s.Add("limits.group_changes_per_minute", &group_changes_per_minute,
        "group changes (invites, kicks, renames...) one user may make per minute, per logic "
        "replica (0: no limit)",
        0, 100000000);
  s.Add("limits.group_changes_burst", &group_changes_burst, "...of which this many at once", 1,
        100000000);
  s.Add("limits.devices_online_per_user", &devices_online_per_user,
        "devices one user may be online on at once (each holds one connection); a login from "
        "one more is refused, a device logging in again never is (0: no cap)",
        0, 100000);
  s.Add("limits.registrations_per_minute_per_address", &registrations_per_minute_per_address,
        "accounts that may be registered from one client address per minute, per logic replica "
        "(0: no limit)",
        0, 100000000);
  s.Add("limits.registrations_burst_per_address", &registrations_burst_per_address,
        "...of which this many at once", 1, 100000000);
  s.Add("max_text_bytes", &max_text_bytes, "largest message text accepted", 1, 1 << 20);
  s.Add("filter_file", &filter_file,
        "word filter for sends: lines 'refuse WORD', 'mask WORD', 'refuse /PATTERN/', "
        "'mask /PATTERN/'; read at start and on SIGHUP (empty: none)");
  s.Add("desk_file", &desk_file,
        "customer-service desks: lines 'desk: agent agent ...' (usernames); read at start and on "
        "SIGHUP (empty: none)");
  s.Add("webhook.before_send_url", &before_send_url,
        "http://host:port/path asked about every send before it is stored: allow, refuse or "
        "rewrite (empty: no hook)");
  s.Add("webhook.before_send_timeout_ms", &before_send_timeout_ms,
        "how long a send waits for the before_send hook's answer", 10, 60000);
  s.Add("webhook.before_send_on_failure", &before_send_on_failure,
        "when the before_send hook fails (no answer in time, an error, too many waiting): "
        "allow (fail open) or refuse (fail closed)");
  s.Add("webhook.after_send_url", &after_send_url,
        "http://host:port/path told of every stored message, at least once, with an "
        "Idempotency-Key (empty: no hook)");
  s.Add("webhook.after_send_timeout_ms", &after_send_timeout_ms,
        "how long one after_send delivery may take before it is retried later", 10, 600000);
  s.Add("webhook.max_connections", &webhook_max_connections,
        "HTTP connections to each hook at once", 1, 1024);
  s.Add("webhook.max_pending", &webhook_max_pending,
        "calls to each hook waiting or running at once; more fail at once (a send then follows "
        "before_send_on_failure)",
        1, 1000000);
  s.Add("recall_window_seconds", &recall_window_seconds,
        "how long after sending a message its sender may recall it", 0, 30 * 86400);
  s.Add("default_message_policy", &default_message_policy,
        "who may message users who did not choose: everyone or friends");
  s.Add("max_group_members", &max_group_members, "largest group size", 2, 100000);
  s.Add("group_notice_above_members", &group_notice_above_members,
        "groups larger than this are pushed a notice per message, then pulled with sync", 0,
        100000);
  s.Add("user_cache_entries", &user_cache_entries, "user names -> ids kept in memory", 16,
        100000000);
  s.Add("relation_cache_entries", &relation_cache_entries,
        "relations (with versions) kept in memory for sends", 16, 100000000);
  internal_tls.Describe(s);
}

absl::Status LogicConfig::Validate() const {
  if (listen.find(':') == std::string::npos) {
    return absl::InvalidArgumentError("listen must be host:port");
  }
  if (storage_target.empty()) return absl::InvalidArgumentError("storage_target is empty");
  if (auto s = common::ValidateTarget(storage_target); !s.ok()) return s;
  if (auto s = internal_tls.Validate(); !s.ok()) return s;
  client::MessagePolicy policy;
  if (!ParseMessagePolicy(default_message_policy, &policy)) {
    return absl::InvalidArgumentError("default_message_policy must be everyone or friends");
  }
  if (before_send_on_failure != "allow" && before_send_on_failure != "refuse") {
    return absl::InvalidArgumentError("webhook.before_send_on_failure must be allow or refuse");
  }
  for (const std::string* url : {&before_send_url, &after_send_url}) {
    if (url->empty()) continue;
    if (auto parsed = WebhookClient::ParseUrl(*url); !parsed.ok()) return parsed.status();
  }
  return absl::OkStatus();
}

client::MessagePolicy LogicConfig::DefaultMessagePolicy() const {
  client::MessagePolicy policy = client::MESSAGE_POLICY_EVERYONE;
  ParseMessagePolicy(default_message_policy, &policy);
  return policy;
}

}  // namespace im::logic
