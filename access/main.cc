// im-access: holds client TCP connections and sessions. Forwards requests to
// im-logic and serves the Access gRPC service for pushes. On SIGINT/SIGTERM it
// drains: stops accepting, tells every client to reconnect (Kick with
// reconnect set), waits up to drain_timeout_ms for them to leave and for logic
// to hear of every closed session, gives its node lease up, then exits 0.

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <random>
#include <thread>
#include <vector>

#include "access/access_config.h"
#include "access/connection_registry.h"
#include "access/deadline_sweeper.h"
#include "access/io_pool.h"
#include "access/listener.h"
#include "access/logic_client.h"
#include "access/login_admission.h"
#include "access/node_lease.h"
#include "access/poll_http_connection.h"
#include "access/poll_sessions.h"
#include "access/push_service.h"
#include "access/tls_context.h"
#include "access/web_pages.h"
#include "common/daemon_main.h"
#include "common/grpc_server.h"
#include "common/health.h"
#include "common/logging.h"
#include "common/metrics_server.h"
#include "common/shutdown_signal.h"

namespace im::access {
namespace {

namespace asio = boost::asio;

int Run(int argc, char** argv) {
  const AccessConfig config =
      common::StartDaemon<AccessConfig>("im-access", "IM_ACCESS", argc, argv);
  auto log = common::GetLogger("access");
  const common::InternalCredentials internal_plane =
      common::LoadInternalCredentialsOrExit("im-access", config.internal_tls);

  std::string host;
  std::uint16_t port = 0;
  boost::system::error_code ec;

  // This process's name in routes and its lease: a restarted node is a new
  // instance, so routes of the one before never reach the new connections.
  const std::string instance = [&] {
    std::random_device random;
    char suffix[9];
    std::snprintf(suffix, sizeof suffix, "%08x", random());
    return config.node_id + "." + suffix;
  }();
  std::unique_ptr<asio::ssl::context> tls;
  if (config.tls()) {
    auto made = MakeServerTlsContext(config.tls_cert_file, config.tls_key_file);
    if (!made.ok()) {
      log->error("event=startup_failed error=\"{}\"", made.status().message());
      return 2;
    }
    tls = std::move(*made);
  } else {
    log->warn(
        "event=plaintext_client_port listen={} note=\"passwords and tokens travel in clear: "
        "for local development only\"",
        config.listen);
  }
  common::Metrics metrics;
  ConnectionCounters counters(&metrics);
  const ConnectionOptions options{instance,
                                  config.PushEndpoint(),
                                  static_cast<std::size_t>(config.max_frame_bytes),
                                  static_cast<std::size_t>(config.max_login_frame_bytes),
                                  std::chrono::milliseconds(config.login_timeout_ms),
                                  std::chrono::milliseconds(config.idle_timeout_ms),
                                  static_cast<std::size_t>(config.max_queued_bytes),
                                  static_cast<std::size_t>(config.max_pending_requests),
                                  &counters,
                                  tls.get(),
                                  std::chrono::milliseconds(config.tls_handshake_timeout_ms),
                                  static_cast<std::size_t>(config.max_bytes_per_second),
                                  /*websocket_path=*/""};
  const std::size_t threads = config.io_threads > 0
                                  ? static_cast<std::size_t>(config.io_threads)
                                  : std::max(1u, std::thread::hardware_concurrency());
  IoPool pool(threads);  // outlives everything that posts to it
  ConnectionRegistry registry(config.ConnectionCap(),
                              static_cast<std::size_t>(config.max_connections_per_address));
  // Deadlines are checked at most a quarter of the shortest timeout late (at most 1 s).
  const auto sweep_period = std::clamp(
      std::chrono::milliseconds(std::min(config.login_timeout_ms, config.idle_timeout_ms) / 4),
      std::chrono::milliseconds(25), std::chrono::milliseconds(1000));
  DeadlineSweeper sweeper(pool.first(), &registry, sweep_period);
  LogicClient logic(config.logic_target, internal_plane,
                    std::chrono::milliseconds(config.logic_timeout_ms),
                    {static_cast<std::size_t>(config.logic_streams),
                     std::chrono::milliseconds(config.stream_rebalance_ms)});
  LoginAdmission admission(static_cast<double>(config.login_rate),
                           static_cast<double>(config.login_burst),
                           static_cast<std::uint32_t>(config.max_logins_in_flight));
  // The web client's files, served on the WebSocket port (web_root).
  std::unique_ptr<const WebPages> web_pages;
  if (!config.web_root.empty()) {
    auto loaded = WebPages::Load(config.web_root);
    if (!loaded.ok()) {
      log->error("event=startup_failed error=\"{}\"", loaded.status().message());
      return 2;
    }
    web_pages = std::move(*loaded);
  }
  // The framed-TCP port, and the WebSocket port where configured: the same
  // connections, registry, limits and TLS; only the framing differs.
  const ConnectionOptions websocket_options = [&] {
    ConnectionOptions made = options;
    made.websocket_path = config.websocket_path;
    made.web_pages = web_pages.get();
    return made;
  }();
  // The long-poll port: sessions are Connections too, fed by HTTP requests.
  PollSessions poll_sessions(options, &logic, &registry, &admission);
  const PollEndpointOptions poll_options{config.poll_path,
                                         std::chrono::milliseconds(config.poll_timeout_ms),
                                         std::chrono::milliseconds(30000),
                                         static_cast<std::size_t>(config.max_frame_bytes),
                                         tls.get(),
                                         std::chrono::milliseconds(config.tls_handshake_timeout_ms)};
  const Listener::OnAccept start_poll_connection = [&poll_options,
                                                    &poll_sessions](Connection::Socket socket) {
    std::make_shared<PollHttpConnection>(std::move(socket), poll_options, &poll_sessions)->Start();
  };
  std::vector<std::unique_ptr<Listener>> listeners;
  for (const auto& [listen, on_accept] :
       {std::pair{config.listen, Listener::ClientConnections(options, &logic, &registry, &admission)},
        std::pair{config.websocket_listen,
                  Listener::ClientConnections(websocket_options, &logic, &registry, &admission)},
        std::pair{config.poll_listen, start_poll_connection}}) {
    if (listen.empty()) continue;
    SplitHostPort(listen, &host, &port).IgnoreError();  // validated above
    const auto listen_address = asio::ip::make_address(host, ec);
    if (ec) {
      log->error("event=startup_failed error=\"listen host must be an IP address: {}\"", host);
      return 2;
    }
    try {
      listeners.push_back(
          std::make_unique<Listener>(pool, asio::ip::tcp::endpoint(listen_address, port),
                                     on_accept));
    } catch (const boost::system::system_error& e) {
      log->error("event=startup_failed error=\"cannot listen on {}: {}\"", listen,
                 e.code().message());
      return 1;
    }
  }
  PushService push_service(&registry);
  auto server = common::StartGrpcServer(config.push_listen, {&push_service}, internal_plane);
  if (!server.ok()) {
    log->error("event=startup_failed error=\"{}\"", server.status().message());
    return 1;
  }

  NodeLease lease(pool.first(), &logic, &registry,
                  {instance, config.PushEndpoint(), std::chrono::milliseconds(config.node_lease_ms),
                   std::chrono::seconds(config.route_refresh_seconds)});

  metrics.Sample("im_access_connections", "Open client connections (logged in or not).", "gauge",
                 [&registry] { return static_cast<double>(registry.size()); });
  metrics.Sample("im_access_http_connections",
                 "Open HTTP connections on the long-poll port (its sessions count as connections).",
                 "gauge", [&registry] { return static_cast<double>(registry.reserved()); });
  metrics.Sample("im_access_long_poll_sessions", "Long-poll sessions bound to a token.", "gauge",
                 [&poll_sessions] { return static_cast<double>(poll_sessions.size()); });
  metrics.Sample("im_access_push_requests_total", "Push requests from logic.", "counter",
                 [&push_service] { return static_cast<double>(push_service.push_requests()); });
  metrics.Sample("im_access_push_targets_total", "Connections named by those pushes.", "counter",
                 [&push_service] { return static_cast<double>(push_service.push_targets()); });
  metrics.Sample("im_access_lease_renewals_failed_total",
                 "Node lease renewals that failed (logic, storage or Redis did not answer).",
                 "counter", [&lease] { return static_cast<double>(lease.renewals_failed()); });
  metrics.Sample("im_access_leases_lost_total",
                 "Times the node lease had lapsed or Redis had lost it, so it was taken anew.",
                 "counter", [&lease] { return static_cast<double>(lease.leases_lost()); });
  metrics.Sample("im_access_routes_restored_total",
                 "Routes of this node's connections put back in Redis after a lease loss.",
                 "counter", [&lease] { return static_cast<double>(lease.routes_restored()); });
  metrics.Sample("im_access_session_closes_in_flight", "Closed sessions logic has not heard of.",
                 "gauge",
                 [&logic] { return static_cast<double>(logic.session_closes_in_flight()); });
  // Serving means a logic replica says it is serving (so logins can work)
  // and this node holds its lease (so its users get pushes).
  common::HealthMonitor health(
      "access",
      [channel = common::MakeInternalChannel(config.logic_target, internal_plane), &lease] {
        if (!lease.held()) {
          return absl::UnavailableError("node lease not held (its renewals fail)");
        }
        return common::CheckGrpcHealth("im-logic", channel, std::chrono::seconds(2));
      },
      std::chrono::seconds(1));
  health.ExportTo(&metrics);
  common::MetricsServer metrics_server(&metrics);
  metrics_server.ServeHealth([&health] { return health.status(); });
  health.Start((*server)->GetHealthCheckService());
  if (auto s = metrics_server.Start(config.metrics_listen); !s.ok()) {
    log->error("event=startup_failed error=\"{}\"", s.message());
    return 1;
  }

  for (auto& listener : listeners) listener->Start();
  sweeper.Start();
  lease.Start();
  pool.Run();
  log->info(
      "event=started node={} instance={} listen={} websocket={} web_files={} long_poll={} push={} "
      "logic={} io_threads={} max_connections={}",
      config.node_id, instance, config.listen,
      config.websocket_listen.empty() ? "off" : config.websocket_listen + config.websocket_path,
      web_pages ? web_pages->file_count() : 0,
      config.poll_listen.empty() ? "off" : config.poll_listen + config.poll_path,
      config.PushEndpoint(), config.logic_target, threads, config.ConnectionCap());

  const int signal = common::WaitForShutdownSignal();
  log->info("event=stopping signal={} connections={}", signal, registry.size());
  health.SetDraining();
  metrics_server.Stop();
  health.Stop();
  // Drain: no new connections; every client is told to reconnect (to another
  // node, or here once it is back); wait until they left and logic heard of
  // every closed session (their routes removed), at most drain_timeout_ms;
  // then the lease goes, so whatever route is left stops counting at once.
  const auto drain_started = std::chrono::steady_clock::now();
  const auto drain_until = drain_started + std::chrono::milliseconds(config.drain_timeout_ms);
  for (auto& listener : listeners) listener->Stop();
  registry.ForEach([](const auto& conn) {
    conn->Kick(0, "server shutting down, reconnect", /*reconnect=*/true);
  });
  while ((registry.size() > 0 || logic.session_closes_in_flight() > 0) &&
         std::chrono::steady_clock::now() < drain_until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const std::size_t left = registry.size(), unsent = logic.session_closes_in_flight();
  lease.Release(std::chrono::seconds(1));
  log->info("event=drained connections_left={} session_closes_unanswered={} took_ms={}", left,
            unsent,
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  drain_started)
                .count());
  sweeper.Stop();
  push_service.DrainStreams();
  (*server)->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  pool.Stop();
  return 0;
}

}  // namespace
}  // namespace im::access

int main(int argc, char** argv) { return im::access::Run(argc, argv); }
