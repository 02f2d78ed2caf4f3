#include "storage/webhook_outbox_store.h"

#include <algorithm>

#include "common/clock.h"
#include "common/proto_json.h"
#include "common/str_cat.h"
#include "storage/sql_batch.h"

namespace im::storage {
namespace {

constexpr std::uint32_t kMaxClaim = 200;

// The row's body: the event without what the row itself holds.
std::string EventBody(const internal::OutboxEvent& event) {
  internal::OutboxEvent body = event;
  body.clear_event_id();
  body.clear_attempts();
  body.clear_created_at_ms();
  body.clear_type();
  return common::ProtoToJson(body);
}

}  // namespace

absl::Status WebhookOutboxStore::RecordInTransaction(
    MysqlConnection& conn, const std::vector<const internal::OutboxEvent*>& events) {
  const std::int64_t now = common::NowMs();
  std::vector<std::string> bodies;
  bodies.reserve(events.size());
  for (const internal::OutboxEvent* e : events) bodies.push_back(EventBody(*e));
  return ForEachExactBatch(events.size(), [&](std::size_t begin, std::size_t end) {
    std::vector<SqlParam> params;
    for (std::size_t i = begin; i < end; ++i) {
      params.insert(params.end(),
                    {std::string_view(events[i]->type()), std::string_view(bodies[i]), now, now});
    }
    return conn
        .Execute(common::StrCat("INSERT INTO webhook_outbox"
                                " (type, body, created_at_ms, next_attempt_at_ms) VALUES ",
                                Repeat("(?, ?, ?, ?)", end - begin)),
                 params)
        .status();
  });
}

absl::StatusOr<internal::WebhookEvents> WebhookOutboxStore::Claim(std::uint32_t limit,
                                                                  std::int64_t lease_ms) {
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  MysqlConnection& conn = **lease;
  internal::WebhookEvents claimed;
  absl::Status status = RunTransaction(conn, [&]() -> absl::Status {
    claimed.Clear();
    const std::int64_t now = common::NowMs();
    auto due = conn.Execute(
        "SELECT event_id, type, body, created_at_ms, attempts FROM webhook_outbox"
        " WHERE next_attempt_at_ms <= ? ORDER BY next_attempt_at_ms, event_id LIMIT ?"
        " FOR UPDATE SKIP LOCKED",
        {now, static_cast<std::uint64_t>(std::clamp<std::uint32_t>(limit, 1, kMaxClaim))});
    if (!due.ok()) return due.status();
    std::vector<std::uint64_t> ids;
    for (const SqlRow& row : due->rows) {
      internal::OutboxEvent event;
      if (!common::ProtoFromJson(row.Str(2), &event).ok()) {
        event.Clear();  // delivered as what is known rather than stuck forever
      }
      event.set_event_id(row.U64(0));
      event.set_type(row.Str(1));
      event.set_created_at_ms(row.I64(3));
      event.set_attempts(static_cast<std::uint32_t>(row.U64(4)));
      ids.push_back(event.event_id());
      *claimed.add_events() = std::move(event);
    }
    if (ids.empty()) return absl::OkStatus();
    return ForEachSizedBatch(ids.size(), [&](std::size_t begin, std::size_t end, std::size_t rows) {
      std::vector<SqlParam> params{now + lease_ms};
      for (std::size_t i = 0; i < rows; ++i)
        params.emplace_back(ids[begin + i < end ? begin + i : begin]);
      return conn
          .Execute(common::StrCat("UPDATE webhook_outbox SET next_attempt_at_ms = ?"
                                  " WHERE event_id IN (",
                                  Repeat("?", rows), ")"),
                   params)
          .status();
    });
  });
  if (!status.ok()) return status;
  return claimed;
}

absl::Status WebhookOutboxStore::Finish(const internal::FinishWebhookEventsRequest& request) {
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  MysqlConnection& conn = **lease;
  const std::vector<std::uint64_t> delivered(request.delivered().begin(),
                                             request.delivered().end());
  absl::Status status = ForEachSizedBatch(
      delivered.size(), [&](std::size_t begin, std::size_t end, std::size_t rows) {
        std::vector<SqlParam> params;
        for (std::size_t i = 0; i < rows; ++i) {
          params.emplace_back(delivered[begin + i < end ? begin + i : begin]);
        }
        return conn
            .Execute(common::StrCat("DELETE FROM webhook_outbox WHERE event_id IN (",
                                    Repeat("?", rows), ")"),
                     params)
            .status();
      });
  if (!status.ok()) return status;
  const std::int64_t now = common::NowMs();
  for (const auto& retry : request.retry()) {  // few: a hook that fails fails a batch at most
    auto updated = conn.Execute(
        "UPDATE webhook_outbox SET attempts = attempts + 1, next_attempt_at_ms = ?"
        " WHERE event_id = ?",
        {now + std::max<std::int64_t>(retry.delay_ms(), 0), retry.event_id()});
    if (!updated.ok()) return updated.status();
  }
  return absl::OkStatus();
}

}  // namespace im::storage
