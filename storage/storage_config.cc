#include "storage/storage_config.h"

#include <algorithm>
#include <cctype>

namespace im::storage {

void StorageConfig::Describe(common::ConfigSchema& s) {
  s.Add("listen", &listen, "host:port of the Storage gRPC service");
  s.Add("log_level", &log_level, "debug, info, warn or error");
  s.Add("metrics_listen", &metrics_listen,
        "IPv4 host:port serving Prometheus metrics on GET /metrics (empty: off)");
  s.Add("workers", &workers, "threads running blocking database calls", 1, 256);
  s.Add("append_writers", &append_writers,
        "threads committing batches of messages (group commit; 1 keeps arrival order)", 1, 16);
  s.Add("ack_writers", &ack_writers, "threads committing batches of acks (group commit)", 1, 16);
  s.Add("ack_gather_ms", &ack_gather_ms,
        "how long an ack committer gathers acks before a batch that is not full", 0, 100);
  s.Add("mysql.host", &mysql_host, "MySQL/MariaDB host");
  s.Add("mysql.port", &mysql_port, "MySQL/MariaDB port", 1, 65535);
  s.Add("mysql.user", &mysql_user, "MySQL user");
  s.Add("mysql.password", &mysql_password, "MySQL password");
  s.Add("mysql.database", &mysql_database, "database name (created if missing)");
  s.Add("mysql.pool_size", &mysql_pool_size, "maximum MySQL connections", 1, 256);
  s.Add("mysql.timeout_seconds", &mysql_timeout_seconds, "connect/read/write timeout", 1, 300);
  s.Add("redis.host", &redis_host, "Redis host");
  s.Add("redis.port", &redis_port, "Redis port", 1, 65535);
  s.Add("redis.pool_size", &redis_pool_size, "maximum Redis connections", 1, 256);
  s.Add("redis.password", &redis_password,
        "Redis password (requirepass), sent with AUTH on connect; empty: none");
  s.Add("redis.timeout_ms", &redis_timeout_ms, "Redis connect/command timeout", 10, 60000);
  s.Add("session_sweep_seconds", &session_sweep_seconds,
        "expired login sessions are deleted this often (0: never)", 0, 86400);
  s.Add("route_ttl_seconds", &route_ttl_seconds, "lifetime of a user's routes without renewal", 60,
        30 * 86400);
  s.Add("sync_cache.ttl_seconds", &sync_cache_ttl_seconds,
        "a conversation's recent messages stay cached in Redis this long after the last write", 1,
        86400);
  s.Add("sync_cache.max_messages", &sync_cache_max_messages,
        "recent messages cached per conversation (serve the Syncs that follow a notice)", 1,
        100000);
  internal_tls.Describe(s);
}

absl::Status StorageConfig::Validate() const {
  const bool plain_name = !mysql_database.empty() &&
                          std::all_of(mysql_database.begin(), mysql_database.end(), [](char c) {
                            return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                          });
  if (!plain_name) {
    return absl::InvalidArgumentError("mysql.database must be letters, digits and '_' only");
  }
  if (listen.find(':') == std::string::npos) {
    return absl::InvalidArgumentError("listen must be host:port");
  }
  return internal_tls.Validate();
}

}  // namespace im::storage
