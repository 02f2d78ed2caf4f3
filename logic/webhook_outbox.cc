#include "logic/webhook_outbox.h"

#include <algorithm>
#include <future>

#include "common/logging.h"
#include "common/proto_json.h"
#include "common/str_cat.h"
#include "logic/stored_to_client.h"

namespace im::logic {
namespace {

constexpr std::chrono::milliseconds kFirstRetry{1000};
constexpr std::chrono::milliseconds kLastRetry{5 * 60 * 1000};

// Waits for one storage call (this is the outbox's own thread).
template <typename Response, typename Request, typename Method>
absl::StatusOr<Response> Wait(StorageApi* storage, Method method, Request request) {
  std::promise<absl::StatusOr<Response>> answered;
  auto answer = answered.get_future();
  (storage->*method)(std::move(request), [&answered](absl::StatusOr<Response> r) {
    answered.set_value(std::move(r));
  });
  return answer.get();
}

}  // namespace

WebhookOutbox::WebhookOutbox(StorageApi* storage, WebhookClient* client, Options options,
                             common::Metrics* metrics)
    : storage_(storage),
      client_(client),
      options_(options),
      // Every post of a batch ends within the client's timeout of being made
      // (waiting for a connection counts), so a batch is finished well
      // within this; a replica that died leaves its events due this soon.
      lease_(client->options().timeout * 2 + std::chrono::seconds(5)) {
  if (metrics == nullptr) return;
  delivered_ = &metrics->Counter("im_logic_after_send_delivered_total",
                                 "Events the after_send webhook took (answered 2xx).");
  failed_ = &metrics->Counter("im_logic_after_send_failed_total",
                              "Deliveries to the after_send webhook that failed (retried later).");
}

WebhookOutbox::~WebhookOutbox() { Stop(); }

void WebhookOutbox::Start() { thread_ = std::thread([this] { Run(); }); }

void WebhookOutbox::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::chrono::milliseconds WebhookOutbox::RetryDelay(std::uint32_t attempts) {
  std::chrono::milliseconds delay = kFirstRetry;
  for (std::uint32_t i = 0; i < attempts && delay < kLastRetry; ++i) delay *= 2;
  return std::min(delay, kLastRetry);
}

void WebhookOutbox::Run() {
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    const std::size_t claimed = DeliverBatch();
    if (claimed == options_.batch) continue;  // more are probably due
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, options_.poll, [this] { return stopping_; });
  }
}

std::size_t WebhookOutbox::DeliverBatch() {
  static const auto log = common::GetLogger("webhook");
  internal::ClaimWebhookEventsRequest claim;
  claim.set_limit(options_.batch);
  claim.set_lease_ms(lease_.count());
  auto claimed = Wait<internal::WebhookEvents>(storage_, &StorageApi::ClaimWebhookEvents, claim);
  if (!claimed.ok()) {
    log->warn("event=outbox_claim_failed error=\"{}\"", claimed.status().message());
    return 0;
  }
  auto& events = *claimed->mutable_events();
  if (events.empty()) return 0;

  // Post them all; the client runs up to max_connections at once.
  std::mutex mutex;
  std::condition_variable all_done;
  std::size_t left = static_cast<std::size_t>(events.size());
  internal::FinishWebhookEventsRequest finish;
  for (internal::OutboxEvent& stored : events) {
    webhook::Event event;
    ToWebhook(std::move(stored), &event);
    client_->Post(
        common::ProtoToJson(event), {{"Idempotency-Key", std::to_string(event.event_id())}},
        [&, id = event.event_id(), attempts = event.attempts()](
            absl::StatusOr<WebhookClient::Answer> answer) {
          const bool ok = answer.ok() && answer->status >= 200 && answer->status <= 299;
          if (!ok) {
            log->warn("event=after_send_failed event_id={} attempts={} error=\"{}\"", id,
                      attempts + 1,
                      answer.ok() ? common::StrCat("HTTP ", answer->status)
                                  : std::string(answer.status().message()));
          }
          std::lock_guard lock(mutex);
          if (ok) {
            finish.add_delivered(id);
          } else {
            auto* retry = finish.add_retry();
            retry->set_event_id(id);
            retry->set_delay_ms(RetryDelay(attempts).count());
          }
          if (--left == 0) all_done.notify_one();
        });
  }
  {
    std::unique_lock lock(mutex);
    all_done.wait(lock, [&] { return left == 0; });
  }
  if (delivered_ != nullptr) {
    delivered_->Add(static_cast<std::uint64_t>(finish.delivered_size()));
    failed_->Add(static_cast<std::uint64_t>(finish.retry_size()));
  }
  auto finished =
      Wait<internal::FinishWebhookEventsResponse>(storage_, &StorageApi::FinishWebhookEvents, finish);
  if (!finished.ok()) {  // their leases run out and they are delivered again
    log->warn("event=outbox_finish_failed events={} error=\"{}\"", events.size(),
              finished.status().message());
  }
  return static_cast<std::size_t>(events.size());
}

}  // namespace im::logic
