#pragma once
// Settings of im-logic, with their defaults. See `im-logic --help`.

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "client.pb.h"
#include "common/config_schema.h"
#include "common/internal_tls.h"

namespace im::logic {

struct LogicConfig {
  std::string listen = "127.0.0.1:7200";
  std::string storage_target = "127.0.0.1:7300";
  std::string log_level = "info";
  std::string metrics_listen;  // host:port of GET /metrics (Prometheus); empty: off
  std::int64_t storage_timeout_ms = 3000;
  std::int64_t storage_streams = 1;          // per kind of hot call: one per storage replica
  std::int64_t stream_rebalance_ms = 60000;  // each placed on a replica anew this often (0: never)
  std::int64_t push_timeout_ms = 2000;
  std::int64_t session_ttl_seconds = 30 * 86400;
  std::int64_t password_workers = 2;  // threads hashing passwords (argon2id)
  // A hash that waited longer than this for a worker is not started: its
  // caller has (nearly) given up, and a register must not create an account
  // after its client was told "unavailable".
  std::int64_t password_queue_max_wait_ms = 1500;
  // Password guessing (see logic/login_throttle.h): failures per account name
  // and per client address that cost no wait, then waits doubling from
  // backoff_base_ms up to backoff_max_ms; forgotten after the window.
  std::int64_t login_free_failures_per_account = 5;
  std::int64_t login_free_failures_per_address = 50;
  std::int64_t login_backoff_base_ms = 1000;
  std::int64_t login_backoff_max_ms = 300000;
  std::int64_t login_failure_window_seconds = 900;
  // Per-user rate limits (logic/user_rate_limiter.h), per logic replica;
  // per_minute 0: no limit.
  std::int64_t messages_per_minute = 1200;
  std::int64_t messages_burst = 200;
  std::int64_t friend_requests_per_minute = 10;
  std::int64_t friend_requests_burst = 20;
  std::int64_t group_changes_per_minute = 120;
  std::int64_t group_changes_burst = 60;
  // Devices one user may be online on at once (a connection each; 0: no cap).
  std::int64_t devices_online_per_user = 10;
  // Accounts registered per client address (keyed like a user).
  std::int64_t registrations_per_minute_per_address = 2;
  std::int64_t registrations_burst_per_address = 20;
  // argon2id cost. The defaults are libsodium's "interactive" limits.
  std::int64_t password_ops_limit = 2;
  std::int64_t password_mem_limit_kib = 64 * 1024;
  std::int64_t max_text_bytes = 64 * 1024;  // also the limit for a typed message's payload
  // The operator's word filter on sends (logic/send_filter.h), read at start
  // and again on SIGHUP. Empty: none.
  std::string filter_file;
  // The customer-service desks and their agents (logic/desk_directory.h),
  // read at start and again on SIGHUP. Empty: none.
  std::string desk_file;
  // The operator's webhooks (README "Webhooks"); empty URLs: none.
  std::string before_send_url;         // asked about each send before it is stored
  std::int64_t before_send_timeout_ms = 1000;
  std::string before_send_on_failure = "allow";  // or "refuse": when the hook fails
  std::string after_send_url;          // told of each stored message, at least once
  std::int64_t after_send_timeout_ms = 5000;
  std::int64_t webhook_max_connections = 8;  // per hook
  std::int64_t webhook_max_pending = 1000;   // per hook: calls waiting or running
  std::int64_t recall_window_seconds = 120;
  // Who may message a user who never chose: "everyone" or "friends".
  std::string default_message_policy = "everyone";
  std::int64_t max_group_members = 10000;
  // Groups larger than this get a "new messages up to seq N" notice per
  // message instead of the message itself; members pull it with Sync.
  std::int64_t group_notice_above_members = 500;
  // Caches of facts a send needs (see user_directory.h, relation_cache.h).
  std::int64_t user_cache_entries = 1000000;
  std::int64_t relation_cache_entries = 1000000;

  common::InternalTlsSettings internal_tls;  // gRPC between tiers (internal_tls.*)

  void Describe(common::ConfigSchema& schema);
  absl::Status Validate() const;
  client::MessagePolicy DefaultMessagePolicy() const;
  // Messages, relation and group changes are recorded for the after_send
  // webhook (logic/webhook_outbox.h) when it has a URL.
  bool RecordsWebhookEvents() const { return !after_send_url.empty(); }
};

}  // namespace im::logic
