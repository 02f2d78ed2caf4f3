// im-logic: stateless request handling (accounts, messages, push fan-out).
// Serves the Logic gRPC service until SIGINT/SIGTERM.

#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <optional>

#include "common/daemon_main.h"
#include "common/grpc_server.h"
#include "common/health.h"
#include "common/logging.h"
#include "common/metrics_server.h"
#include "common/shutdown_signal.h"
#include "common/work_pool.h"
#include "logic/access_push_client.h"
#include "logic/account_handlers.h"
#include "logic/conversation_handlers.h"
#include "logic/desk_handlers.h"
#include "logic/group_handlers.h"
#include "logic/logic_config.h"
#include "logic/logic_service.h"
#include "logic/message_handlers.h"
#include "logic/push_fanout.h"
#include "logic/relation_cache.h"
#include "logic/relation_handlers.h"
#include "logic/session_handlers.h"
#include "logic/storage_client.h"
#include "logic/user_directory.h"
#include "logic/webhook_client.h"
#include "logic/webhook_outbox.h"

namespace im::logic {
namespace {

int Run(int argc, char** argv) {
  const LogicConfig config = common::StartDaemon<LogicConfig>("im-logic", "IM_LOGIC", argc, argv);
  auto log = common::GetLogger("logic");
  const common::InternalCredentials internal_plane =
      common::LoadInternalCredentialsOrExit("im-logic", config.internal_tls);

  common::Metrics metrics;
  common::MetricsServer metrics_server(&metrics);
  // Every call to storage and to the access nodes, and every hashing job,
  // until its callback has run: shutdown waits for them before the handlers,
  // caches and clients below, which those callbacks use, are destroyed.
  common::InFlight in_flight;
  StorageClient storage(config.storage_target, internal_plane, &in_flight,
                        std::chrono::milliseconds(config.storage_timeout_ms),
                        {static_cast<std::size_t>(config.storage_streams),
                         std::chrono::milliseconds(config.stream_rebalance_ms)});
  AccessPushClient access(internal_plane, &in_flight,
                          std::chrono::milliseconds(config.push_timeout_ms));
  PushFanout fanout(&storage, &access,
                    static_cast<std::uint32_t>(config.group_notice_above_members), &metrics);
  PasswordHasher hasher(static_cast<std::uint64_t>(config.password_ops_limit),
                        static_cast<std::size_t>(config.password_mem_limit_kib) * 1024);
  common::WorkPool hash_workers(static_cast<std::size_t>(config.password_workers), 1000,
                                &in_flight);

  UserDirectory users(&storage, static_cast<std::size_t>(config.user_cache_entries));
  RelationCache relation_cache(static_cast<std::size_t>(config.relation_cache_entries));

  RequestDispatcher dispatcher(&metrics);
  LoginThrottle login_throttle(config, &storage, &metrics);
  UserRateLimiter registration_limit("registrations from this address",
                                     config.registrations_per_minute_per_address,
                                     config.registrations_burst_per_address, &metrics);
  AccountHandlers accounts(config, &storage, &access, &hasher, &hash_workers, &login_throttle,
                           &registration_limit);
  accounts.RegisterWith(dispatcher);
  SessionHandlers sessions(config, &storage, &access, &hasher, &hash_workers, &login_throttle);
  sessions.RegisterWith(dispatcher);
  // The word filter and the desks: a bad file stops the start, and on SIGHUP
  // keeps the one in force (the log says why).
  SendFilterHolder send_filter;
  DeskDirectoryHolder desk_directory;
  const auto load_lists = [&config, &send_filter, &desk_directory, &log]() -> bool {
    bool ok = true;
    if (!config.filter_file.empty()) {
      auto loaded = SendFilter::Load(config.filter_file);
      if (loaded.ok()) {
        log->info("event=filter_loaded file={} entries={}", config.filter_file,
                  (*loaded)->entries());
        send_filter.Set(std::move(*loaded));
      } else {
        log->error("event=filter_not_loaded error=\"{}\"", loaded.status().message());
        ok = false;
      }
    }
    if (!config.desk_file.empty()) {
      auto loaded = DeskDirectory::Load(config.desk_file);
      if (loaded.ok()) {
        log->info("event=desks_loaded file={} desks={}", config.desk_file, (*loaded)->desks());
        desk_directory.Set(std::move(*loaded));
      } else {
        log->error("event=desks_not_loaded error=\"{}\"", loaded.status().message());
        ok = false;
      }
    }
    return ok;
  };
  if (!load_lists()) return 2;
  // The operator's webhooks. Their calls count in `in_flight`.
  const auto webhook_client = [&](const std::string& url, std::int64_t timeout_ms) {
    WebhookClient::Options options{url, std::chrono::milliseconds(timeout_ms),
                                   static_cast<std::size_t>(config.webhook_max_connections),
                                   static_cast<std::size_t>(config.webhook_max_pending)};
    return url.empty() ? nullptr : *WebhookClient::Create(options, &in_flight);  // URL validated
  };
  std::unique_ptr<WebhookClient> before_send_client =
      webhook_client(config.before_send_url, config.before_send_timeout_ms);
  std::unique_ptr<WebhookClient> after_send_client =
      webhook_client(config.after_send_url, config.after_send_timeout_ms);
  std::optional<BeforeSendHook> before_send;
  if (before_send_client) {
    before_send.emplace(before_send_client.get(),
                        config.before_send_on_failure == "refuse"
                            ? BeforeSendHook::OnFailure::kRefuse
                            : BeforeSendHook::OnFailure::kAllow,
                        &metrics);
  }
  std::optional<WebhookOutbox> outbox;
  if (after_send_client) {
    outbox.emplace(&storage, after_send_client.get(), WebhookOutbox::Options{}, &metrics);
  }
  DeskHandlers desks(config, &storage, &users, &fanout, &desk_directory);
  desks.RegisterWith(dispatcher);
  accounts.OnLoggedIn([&desks](std::uint64_t user_id, const std::string& username) {
    desks.OnLoggedIn(user_id, username);
  });
  MessageHandlers messages(config, &storage, &users, &relation_cache, &fanout,
                           {.filter = &send_filter,
                            .before_send = before_send ? &*before_send : nullptr},
                           config.desk_file.empty() ? nullptr : &desks);
  messages.RegisterWith(dispatcher);
  RelationHandlers relations(config, &storage, &users, &fanout);
  relations.RegisterWith(dispatcher);
  ConversationHandlers conversations(config, &storage, &users, &fanout);
  conversations.RegisterWith(dispatcher);
  GroupHandlers groups(config, &storage, &fanout);
  groups.RegisterWith(dispatcher);
  UserRateLimiter message_limit("messages", config.messages_per_minute, config.messages_burst,
                                &metrics);
  UserRateLimiter friend_request_limit("friend requests", config.friend_requests_per_minute,
                                       config.friend_requests_burst, &metrics);
  UserRateLimiter group_change_limit("group changes", config.group_changes_per_minute,
                                     config.group_changes_burst, &metrics);
  dispatcher.Limit(client::ClientFrame::kSendMessage, &message_limit);
  dispatcher.Limit(client::ClientFrame::kFriendRequest, &friend_request_limit);
  dispatcher.Limit(client::ClientFrame::kGroupChange, &group_change_limit);
  LogicService service(&dispatcher, &storage, &access);

  auto server = common::StartGrpcServer(config.listen, {&service}, internal_plane);
  if (!server.ok()) {
    log->error("event=startup_failed error=\"{}\"", server.status().message());
    return 1;
  }
  // Serving means a storage replica says it is serving.
  common::HealthMonitor health(
      "logic",
      [channel = common::MakeInternalChannel(config.storage_target, internal_plane)] {
        return common::CheckGrpcHealth("im-storage", channel, std::chrono::seconds(2));
      },
      std::chrono::seconds(1));
  health.ExportTo(&metrics);
  metrics_server.ServeHealth([&health] { return health.status(); });
  health.Start((*server)->GetHealthCheckService());
  if (auto s = metrics_server.Start(config.metrics_listen); !s.ok()) {
    log->error("event=startup_failed error=\"{}\"", s.message());
    return 1;
  }
  if (outbox) outbox->Start();
  log->info("event=started listen={} storage={} metrics={} before_send={} after_send={}",
            config.listen, config.storage_target, config.metrics_listen,
            config.before_send_url.empty() ? "-" : config.before_send_url,
            config.after_send_url.empty() ? "-" : config.after_send_url);
  const int signal = common::WaitForShutdownSignal([&load_lists] { load_lists(); });
  log->info("event=stopping signal={}", signal);
  health.SetDraining();
  metrics_server.Stop();
  health.Stop();
  service.DrainStreams();
  (*server)->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  if (outbox) outbox->Stop();  // what it had claimed and not finished is due again later
  // No request comes in any more; let the work requests started finish (each
  // call has its deadline, so this ends).
  if (!in_flight.WaitUntilIdle(std::chrono::seconds(5))) {
    // Destroying the handlers now would run late callbacks into freed
    // objects; logic holds no state, so leave without destroying anything.
    log->warn("event=stopped calls_left_in_flight={}", in_flight.count());
    spdlog::shutdown();
    std::_Exit(0);
  }
  log->info("event=stopped calls_left_in_flight=0");
  return 0;
}

}  // namespace
}  // namespace im::logic

int main(int argc, char** argv) { return im::logic::Run(argc, argv); }
