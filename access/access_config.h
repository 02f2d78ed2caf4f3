#pragma once
// Settings of im-access, with their defaults. See `im-access --help`.

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "common/config_schema.h"
#include "common/internal_tls.h"

namespace im::access {

struct AccessConfig {
  std::string listen = "127.0.0.1:7000";  // clients connect here
  // WebSocket clients (browsers) connect here, upgrading at websocket_path;
  // the same TLS as `listen`. Empty: no WebSocket port.
  std::string websocket_listen;
  std::string websocket_path = "/im";
  // A directory of web client files (index.html and what it loads) served on
  // the WebSocket port to plain GETs, read at start-up. Empty: none.
  std::string web_root;
  // HTTP long-poll clients (neither TCP nor WebSocket) send requests and
  // poll here, under poll_path (access/poll_http_connection.h); the same TLS
  // as `listen`. Empty: no long-poll port. A poll is answered within
  // poll_timeout_ms, which must be under idle_timeout_ms.
  std::string poll_listen;
  std::string poll_path = "/poll";
  std::int64_t poll_timeout_ms = 25000;
  // TLS on the client port (PEM files). Without them the port is plain TCP,
  // which only allow_plaintext permits (local development).
  std::string tls_cert_file;
  std::string tls_key_file;
  bool allow_plaintext = false;
  std::int64_t tls_handshake_timeout_ms = 5000;
  std::string push_listen = "127.0.0.1:7100";  // Access gRPC service (logic pushes here)
  std::string push_advertise;                  // how logic reaches push_listen; default: same
  std::string node_id = "access-1";
  std::string logic_target = "127.0.0.1:7200";
  std::string log_level = "info";
  std::string metrics_listen;   // host:port of GET /metrics (Prometheus); empty: off
  std::int64_t io_threads = 0;  // 0: one per core
  std::int64_t max_frame_bytes = 1 << 20;
  std::int64_t max_login_frame_bytes = 16 << 10;    // before a connection has logged in
  std::int64_t max_connections = 0;                 // 0: the descriptor limit less a reserve
  std::int64_t max_connections_per_address = 1000;  // 0: no cap
  std::int64_t login_timeout_ms = 10000;
  std::int64_t idle_timeout_ms = 90000;
  std::int64_t logic_timeout_ms = 5000;
  std::int64_t logic_streams = 1;            // coalescing streams to logic: one per replica
  std::int64_t stream_rebalance_ms = 60000;  // each placed on a replica anew this often (0: never)
  std::int64_t max_queued_bytes = 4 << 20;   // per connection, unsent server frames
  std::int64_t max_pending_requests = 64;    // per connection, awaiting logic
  std::int64_t max_bytes_per_second = 1 << 20;  // per connection, read (0: no limit)
  std::int64_t login_rate = 3000;               // logins admitted per second (0: no cap)
  std::int64_t login_burst = 3000;              // ...of which this many at once
  std::int64_t max_logins_in_flight = 512;      // awaiting logic at once (0: no cap)
  std::int64_t drain_timeout_ms = 5000;         // SIGTERM: how long clients get to leave
  std::int64_t node_lease_ms = 6000;            // routes count only while it is renewed
  std::int64_t route_refresh_seconds = 21600;   // connections' routes are renewed this often

  common::InternalTlsSettings internal_tls;  // gRPC between tiers (internal_tls.*)

  void Describe(common::ConfigSchema& schema);
  absl::Status Validate() const;
  bool tls() const { return !tls_cert_file.empty(); }
  // max_connections, or what the process's descriptor limit allows.
  std::size_t ConnectionCap() const;
  const std::string& PushEndpoint() const {
    return push_advertise.empty() ? push_listen : push_advertise;
  }
};

// Splits "host:port"; INVALID_ARGUMENT if malformed.
absl::Status SplitHostPort(const std::string& address, std::string* host, std::uint16_t* port);

}  // namespace im::access
