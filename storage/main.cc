// im-storage: the only process that talks to MySQL and Redis. Applies schema
// migrations at start-up (waiting for MySQL if it is not up yet), then serves
// the Storage gRPC service until SIGINT/SIGTERM.

#include <unistd.h>

#include <chrono>
#include <iostream>
#include <thread>

#include "common/daemon_main.h"
#include "common/grpc_server.h"
#include "common/health.h"
#include "common/logging.h"
#include "common/metrics_server.h"
#include "common/shutdown_signal.h"
#include "common/str_cat.h"
#include "storage/migrations.h"
#include "storage/session_sweeper.h"
#include "storage/storage_config.h"
#include "storage/storage_service.h"

namespace im::storage {
namespace {

MysqlOptions MysqlOptionsFrom(const StorageConfig& c) {
  return {c.mysql_host,     static_cast<int>(c.mysql_port),
          c.mysql_user,     c.mysql_password,
          c.mysql_database, static_cast<int>(c.mysql_timeout_seconds)};
}

// Creates the database if needed and migrates it. Retries while MySQL is
// unreachable so the daemons can be started in any order; a refused account
// (PERMISSION_DENIED) fails at once.
absl::Status PrepareDatabase(const StorageConfig& config) {
  auto log = common::GetLogger("storage");
  MysqlOptions server = MysqlOptionsFrom(config);
  server.database.clear();
  for (int attempt = 1;; ++attempt) {
    auto conn = MysqlConnection::Connect(server);
    if (conn.ok()) {
      if (auto s = (*conn)->ExecuteScript(
              common::StrCat("CREATE DATABASE IF NOT EXISTS `", config.mysql_database,
                             "` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"));
          !s.ok()) {
        return s;
      }
      break;
    }
    if (conn.status().code() != absl::StatusCode::kUnavailable || attempt >= 60) {
      return conn.status();
    }
    log->warn("event=mysql_wait attempt={} error=\"{}\"", attempt, conn.status().message());
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  auto conn = MysqlConnection::Connect(MysqlOptionsFrom(config));
  if (!conn.ok()) return conn.status();
  return ApplyMigrations(**conn);
}

// Serving means MySQL (the durable truth) answers: a connection of the
// check's own (so a busy pool cannot fail it) runs SELECT 1, reconnecting
// when it was lost.
common::HealthMonitor::Check MysqlAnswers(const StorageConfig& config) {
  auto conn = std::make_shared<std::unique_ptr<MysqlConnection>>();
  MysqlOptions options = MysqlOptionsFrom(config);
  options.timeout_seconds = 2;
  return [conn, options]() -> absl::Status {
    if (*conn == nullptr || (*conn)->broken()) {
      auto fresh = MysqlConnection::Connect(options);
      if (!fresh.ok()) return fresh.status();
      *conn = std::move(*fresh);
    }
    const absl::Status answered = (*conn)->Execute("SELECT 1", {}).status();
    if (answered.ok()) return answered;
    return absl::UnavailableError(common::StrCat("MySQL: ", answered.message()));
  };
}

int Run(int argc, char** argv) {
  const StorageConfig config =
      common::StartDaemon<StorageConfig>("im-storage", "IM_STORAGE", argc, argv);
  auto log = common::GetLogger("storage");
  const common::InternalCredentials internal_plane =
      common::LoadInternalCredentialsOrExit("im-storage", config.internal_tls);

  if (auto s = PrepareDatabase(config); !s.ok()) {
    log->error("event=startup_failed error=\"{}\"", s.ToString());
    if (s.code() == absl::StatusCode::kPermissionDenied) {
      log->error(
          "event=startup_failed hint=\"MySQL refused user '{}': check mysql_user and "
          "mysql_password (under docker-compose the password is fixed when the database volume "
          "is first created)\"",
          config.mysql_user);
    }
    return 1;
  }

  common::Metrics metrics;
  common::MetricsServer metrics_server(&metrics);
  MysqlPool mysql(
      [options = MysqlOptionsFrom(config)] { return MysqlConnection::Connect(options); },
      static_cast<std::size_t>(config.mysql_pool_size));
  RedisOptions redis_options{config.redis_host, static_cast<int>(config.redis_port),
                             static_cast<int>(config.redis_timeout_ms), config.redis_password,
                             &metrics};
  RedisPool redis([redis_options] { return RedisConnection::Connect(redis_options); },
                  static_cast<std::size_t>(config.redis_pool_size));
  UserStore users(&mysql);
  MessageStore messages(&mysql);
  RelationStore relations(&mysql);
  GroupStore groups(&mysql);
  RecentMessages recent(&redis, {config.sync_cache_ttl_seconds, config.sync_cache_max_messages});
  ConversationStore conversations(&mysql, &recent);
  RouteStore routes(&redis, config.route_ttl_seconds);
  common::WorkPool workers(static_cast<std::size_t>(config.workers), 10000);
  // The group-commit writers have connections of their own, so a write
  // never waits behind a burst of reads (say, every member of a large group
  // syncing at once) for a connection.
  MysqlPool writer_mysql(
      [options = MysqlOptionsFrom(config)] { return MysqlConnection::Connect(options); },
      static_cast<std::size_t>(config.append_writers + config.ack_writers));
  mysql.ExportTo(&metrics, "mysql");
  writer_mysql.ExportTo(&metrics, "mysql_writers");
  redis.ExportTo(&metrics, "redis");
  MessageStore written_messages(&writer_mysql);
  ConversationStore written_acks(&writer_mysql);
  AppendWriter appends(&written_messages, &routes, static_cast<std::size_t>(config.append_writers),
                       &metrics);
  AckWriter acks(&written_acks, static_cast<std::size_t>(config.ack_writers),
                 std::chrono::milliseconds(config.ack_gather_ms));
  SessionResumer resumer(&users, &routes, /*threads=*/2, /*max_queued=*/20000);
  LoginGuard logins(&redis);
  SessionSweeper session_sweeper(&users, std::chrono::seconds(config.session_sweep_seconds),
                                 &metrics);
  WebhookOutboxStore outbox(&mysql);
  DeskStore desks(&mysql);
  StorageService service(&users, &messages, &conversations, &recent, &relations, &groups, &routes,
                         &appends, &acks, &resumer, &logins, &outbox, &desks, &workers);

  auto server = common::StartGrpcServer(config.listen, {&service}, internal_plane);
  if (!server.ok()) {
    log->error("event=startup_failed error=\"{}\"", server.status().message());
    return 1;
  }
  common::HealthMonitor health("storage", MysqlAnswers(config), std::chrono::seconds(1));
  health.ExportTo(&metrics);
  metrics_server.ServeHealth([&health] { return health.status(); });
  health.Start((*server)->GetHealthCheckService());
  if (auto s = metrics_server.Start(config.metrics_listen); !s.ok()) {
    log->error("event=startup_failed error=\"{}\"", s.message());
    return 1;
  }
  log->info("event=started listen={} mysql={}:{}/{} redis={}:{}", config.listen, config.mysql_host,
            config.mysql_port, config.mysql_database, config.redis_host, config.redis_port);
  const int signal = common::WaitForShutdownSignal();
  log->info("event=stopping signal={}", signal);
  health.SetDraining();
  metrics_server.Stop();
  health.Stop();
  service.DrainStreams();
  (*server)->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return 0;
}

}  // namespace
}  // namespace im::storage

int main(int argc, char** argv) { return im::storage::Run(argc, argv); }
