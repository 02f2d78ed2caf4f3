#pragma once
// The webhook outbox (migration 006_webhook_outbox.sql): events for the
// operator's webhooks, written in the transaction that made them (so an
// event exists exactly when its change committed), handed to logic with a
// lease, and deleted once logic delivered them. Logic dying with events
// leased loses nothing: their lease runs out and they are due again. So each
// event is delivered at least once; its event_id is the same on every try.
// Thread-safe; blocking: call from a worker thread.

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "storage.pb.h"
#include "storage/user_store.h"

namespace im::storage {

class WebhookOutboxStore {
 public:
  explicit WebhookOutboxStore(MysqlPool* pool) : pool_(pool) {}

  // Inside the caller's open transaction on `conn`: one row per event, due at
  // once. event_id, attempts and created_at_ms of `events` are ignored.
  static absl::Status RecordInTransaction(MysqlConnection& conn,
                                          const std::vector<const internal::OutboxEvent*>& events);

  // Up to `limit` due events, oldest first, each leased for `lease_ms`: not
  // due again until then. Rows another replica is claiming are skipped.
  absl::StatusOr<internal::WebhookEvents> Claim(std::uint32_t limit, std::int64_t lease_ms);

  // Deletes the delivered events; the retried ones count an attempt and are
  // due after their delay. Unknown ids are ignored (already finished).
  absl::Status Finish(const internal::FinishWebhookEventsRequest& request);

 private:
  MysqlPool* pool_;
};

}  // namespace im::storage
