#pragma once
// WebhookOutbox delivers the events storage keeps in its outbox (messages
// recorded with `webhook_event`, storage/webhook_outbox_store.h) to the
// operator's after_send URL, at least once each, surviving a crash of any
// daemon: an event leaves the outbox only after the hook answered 2xx.
//
// One thread claims due events in batches (leased, so another logic replica
// does not take them meanwhile; a replica that dies leaves them due again
// when the lease runs out), POSTs each as a JSON webhook::Event with the
// header `Idempotency-Key: <event_id>` (the same on every try), and tells
// storage which were delivered and which failed. A failed event is due again
// after a delay doubling with each attempt, from 1 s up to 5 min, and is
// retried for as long as it takes. Events may arrive out of order (they are
// posted concurrently and retried): a receiver orders a conversation's
// messages by `seq`.
//
// It looks for due events every `poll`, and at once after a full batch.
// Thread-safe. The storage and the client outlive it.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "common/metrics.h"
#include "logic/storage_api.h"
#include "logic/webhook_client.h"

namespace im::logic {

class WebhookOutbox {
 public:
  struct Options {
    std::chrono::milliseconds poll{200};
    std::uint32_t batch = 100;
  };
  // `metrics` may be null.
  WebhookOutbox(StorageApi* storage, WebhookClient* client, Options options,
                common::Metrics* metrics);
  ~WebhookOutbox();  // Stop()

  void Start();
  // Ends the thread once the batch in hand is delivered or failed (each post
  // has its timeout). Idempotent.
  void Stop();

  // The delay before the next try of an event that failed `attempts` times.
  static std::chrono::milliseconds RetryDelay(std::uint32_t attempts);

 private:
  void Run();
  // Claims and delivers one batch; the number of events claimed.
  std::size_t DeliverBatch();

  StorageApi* storage_;
  WebhookClient* client_;
  const Options options_;
  const std::chrono::milliseconds lease_;
  common::MetricCounter* delivered_ = nullptr;
  common::MetricCounter* failed_ = nullptr;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace im::logic
