#pragma once
// Settings of im-storage, with their defaults. See `im-storage --help`.

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "common/config_schema.h"
#include "common/internal_tls.h"

namespace im::storage {

struct StorageConfig {
  std::string listen = "127.0.0.1:7300";
  std::string log_level = "info";
  std::string metrics_listen;       // host:port of GET /metrics (Prometheus); empty: off
  std::int64_t workers = 16;        // threads running blocking MySQL/Redis calls
  std::int64_t append_writers = 1;  // threads committing batches of appends
  std::int64_t ack_writers = 1;     // threads committing batches of acks
  std::int64_t ack_gather_ms = 5;   // an ack batch waits this long for more

  std::string mysql_host = "127.0.0.1";
  std::int64_t mysql_port = 3306;
  std::string mysql_user = "root";
  std::string mysql_password;
  std::string mysql_database = "im";
  std::int64_t mysql_pool_size = 16;
  std::int64_t mysql_timeout_seconds = 5;

  std::string redis_host = "127.0.0.1";
  std::int64_t redis_port = 6379;
  std::string redis_password;  // AUTH on connect; empty: none
  std::int64_t redis_pool_size = 8;
  std::int64_t redis_timeout_ms = 2000;
  std::int64_t route_ttl_seconds = 86400;
  std::int64_t session_sweep_seconds = 600;    // expired sessions deleted this often (0: never)
  std::int64_t sync_cache_ttl_seconds = 600;   // RecentMessages in Redis
  std::int64_t sync_cache_max_messages = 256;  // per conversation

  common::InternalTlsSettings internal_tls;  // gRPC between tiers (internal_tls.*)

  void Describe(common::ConfigSchema& schema);
  absl::Status Validate() const;
};

}  // namespace im::storage
