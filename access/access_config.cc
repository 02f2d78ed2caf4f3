#include "access/access_config.h"

#include <sys/resource.h>

#include <charconv>

#include "common/grpc_server.h"
#include "common/str_cat.h"

namespace im::access {

void AccessConfig::Describe(common::ConfigSchema& s) {
  s.Add("listen", &listen, "host:port where clients connect (TCP, framed protobuf)");
  s.Add("websocket_listen", &websocket_listen,
        "host:port where WebSocket clients (browsers) connect: one binary message per frame, "
        "TLS (wss) as on listen (empty: off)");
  s.Add("websocket_path", &websocket_path, "the path WebSocket clients upgrade at");
  s.Add("web_root", &web_root,
        "directory of a web client (index.html and what it loads), served on the WebSocket port "
        "and read at start-up (empty: none)");
  s.Add("poll_listen", &poll_listen,
        "host:port of HTTP long-poll for clients that can open neither TCP nor WebSocket: "
        "POST poll_path/login and poll_path/request, GET poll_path/events; TLS as on listen "
        "(empty: off)");
  s.Add("poll_path", &poll_path, "the path under which the long-poll requests go");
  s.Add("poll_timeout_ms", &poll_timeout_ms,
        "a long poll with nothing for it is answered empty after this long (under "
        "idle_timeout_ms: each poll keeps the session alive)",
        100, 600000);
  s.Add("push_listen", &push_listen, "host:port of this node's Access gRPC service");
  s.Add("push_advertise", &push_advertise,
        "host:port logic uses to reach push_listen (default: push_listen)");
  s.Add("node_id", &node_id, "name of this access node, unique in the cluster");
  s.Add("logic_target", &logic_target,
        "host:port of im-logic, or a comma-separated list of IPv4 host:port replicas");
  s.Add("log_level", &log_level, "debug, info, warn or error");
  s.Add("metrics_listen", &metrics_listen,
        "IPv4 host:port serving Prometheus metrics on GET /metrics (empty: off)");
  s.Add("io_threads", &io_threads, "network threads (0: one per core)", 0, 64);
  s.Add("max_frame_bytes", &max_frame_bytes, "largest client frame accepted", 64, 64 << 20);
  s.Add("max_login_frame_bytes", &max_login_frame_bytes,
        "largest client frame accepted before the connection has logged in", 64, 64 << 20);
  s.Add("max_connections", &max_connections,
        "client connections held at most; more are refused with an error frame (0: the "
        "descriptor limit less 256 kept for the daemon's own use)",
        0, 10000000);
  s.Add("max_connections_per_address", &max_connections_per_address,
        "client connections held at most from one source address (0: no cap)", 0, 10000000);
  s.Add("tls.cert_file", &tls_cert_file,
        "certificate chain (PEM) of the client port: with tls.key_file, clients must speak TLS");
  s.Add("tls.key_file", &tls_key_file, "private key (PEM) of tls.cert_file");
  s.Add("tls.handshake_timeout_ms", &tls_handshake_timeout_ms,
        "close connections whose TLS handshake or WebSocket upgrade has not finished by then", 100,
        600000);
  s.Add("allow_plaintext", &allow_plaintext,
        "without TLS files, serve clients over plain TCP (local development only: passwords and "
        "session tokens travel in clear)");
  s.Add("login_timeout_ms", &login_timeout_ms, "close connections not logged in by then", 100,
        600000);
  s.Add("drain_timeout_ms", &drain_timeout_ms,
        "on SIGTERM: how long the node waits for kicked clients to leave and their routes to go", 0,
        600000);
  s.Add("node_lease_ms", &node_lease_ms,
        "this node's lease in Redis (renewed every third): when it lapses, its users show "
        "offline and get no pushes",
        1000, 600000);
  s.Add("route_refresh_seconds", &route_refresh_seconds,
        "how often the routes of long-lived connections are renewed (keep it under storage's "
        "route_ttl_seconds)",
        60, 30 * 86400);
  s.Add("idle_timeout_ms", &idle_timeout_ms, "close connections silent for this long", 100,
        3600000);
  s.Add("logic_timeout_ms", &logic_timeout_ms, "deadline of each request to logic", 50, 60000);
  s.Add("logic_streams", &logic_streams,
        "coalescing streams carrying client requests to logic, spread over its replicas (a "
        "connection's requests keep to one): set it to the number of logic replicas (more "
        "streams than replicas only make smaller batches)",
        1, 64);
  s.Add("stream_rebalance_ms", &stream_rebalance_ms,
        "each stream to logic is replaced this often, so a replica that came back gets its share "
        "(0: never)",
        0, 86400000);
  s.Add("max_queued_bytes", &max_queued_bytes,
        "unsent bytes a connection may hold before it is dropped as not reading", 4096, 1 << 30);
  s.Add("login_rate", &login_rate,
        "logins admitted per second; more are answered UNAVAILABLE with a retry-after hint "
        "(0: no cap)",
        0, 10000000);
  s.Add("login_burst", &login_burst, "logins admitted at once before login_rate applies", 1,
        10000000);
  s.Add("max_logins_in_flight", &max_logins_in_flight,
        "logins awaiting logic at once; more are answered UNAVAILABLE with a retry-after hint "
        "(0: no cap)",
        0, 1000000);
  s.Add("max_pending_requests", &max_pending_requests,
        "requests a connection may have awaiting logic", 1, 100000);
  s.Add("max_bytes_per_second", &max_bytes_per_second,
        "bytes one connection may send per second, in bursts of a second's worth; past it the "
        "connection is not read for a while, which slows its sender (0: no limit)",
        0, 1 << 30);
  internal_tls.Describe(s);
}

absl::Status SplitHostPort(const std::string& address, std::string* host, std::uint16_t* port) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return absl::InvalidArgumentError(common::StrCat("\"", address, "\" is not host:port"));
  }
  unsigned value = 0;
  const char* begin = address.data() + colon + 1;
  const char* end = address.data() + address.size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end || value > 65535) {
    return absl::InvalidArgumentError(common::StrCat("\"", address, "\" has a bad port"));
  }
  *host = address.substr(0, colon);
  *port = static_cast<std::uint16_t>(value);
  return absl::OkStatus();
}

std::size_t AccessConfig::ConnectionCap() const {
  if (max_connections > 0) return static_cast<std::size_t>(max_connections);
  constexpr rlim_t kReserve = 256;  // gRPC channels, logs, the listener
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 0;
  return limit.rlim_cur > 2 * kReserve ? static_cast<std::size_t>(limit.rlim_cur - kReserve)
                                       : static_cast<std::size_t>(limit.rlim_cur / 2);
}

absl::Status AccessConfig::Validate() const {
  if (auto s = common::ValidateTarget(logic_target); !s.ok()) return s;
  if (auto s = internal_tls.Validate(); !s.ok()) return s;
  std::string host;
  std::uint16_t port;
  if (auto s = SplitHostPort(listen, &host, &port); !s.ok()) return s;
  if (auto s = SplitHostPort(PushEndpoint(), &host, &port); !s.ok()) return s;
  if (!websocket_listen.empty()) {
    if (auto s = SplitHostPort(websocket_listen, &host, &port); !s.ok()) return s;
    if (websocket_path.empty() || websocket_path.front() != '/') {
      return absl::InvalidArgumentError("websocket_path must start with '/'");
    }
  } else if (!web_root.empty()) {
    return absl::InvalidArgumentError("web_root is served on websocket_listen: set that too");
  }
  if (!poll_listen.empty()) {
    if (auto s = SplitHostPort(poll_listen, &host, &port); !s.ok()) return s;
    if (poll_path.size() < 2 || poll_path.front() != '/' || poll_path.back() == '/') {
      return absl::InvalidArgumentError("poll_path must start with '/' and not end with one");
    }
    if (poll_timeout_ms >= idle_timeout_ms) {
      return absl::InvalidArgumentError(
          "poll_timeout_ms must be under idle_timeout_ms, or a client waiting in a poll would "
          "be closed as idle");
    }
  }
  if (tls_cert_file.empty() != tls_key_file.empty()) {
    return absl::InvalidArgumentError("tls.cert_file and tls.key_file go together");
  }
  if (!tls() && !allow_plaintext) {
    return absl::InvalidArgumentError(
        "the client port needs tls.cert_file and tls.key_file (deploy/make-dev-certs.sh makes a "
        "development pair), or allow_plaintext = true for local development");
  }
  if (max_login_frame_bytes > max_frame_bytes) {
    return absl::InvalidArgumentError("max_login_frame_bytes must not exceed max_frame_bytes");
  }
  // One read is up to 64 KiB: below this a pause for it could outlast the
  // idle timeout, and the connection would be closed for the server's delay.
  if (max_bytes_per_second != 0 && max_bytes_per_second < 4096) {
    return absl::InvalidArgumentError("max_bytes_per_second must be 0 (no limit) or at least 4096");
  }
  if (node_id.empty() || node_id.find('|') != std::string::npos) {
    return absl::InvalidArgumentError("node_id must be non-empty and must not contain '|'");
  }
  if (PushEndpoint().find('|') != std::string::npos) {
    return absl::InvalidArgumentError("push endpoint must not contain '|'");
  }
  return absl::OkStatus();
}

}  // namespace im::access
