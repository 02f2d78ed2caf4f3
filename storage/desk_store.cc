#include "storage/desk_store.h"

#include <algorithm>
#include <map>
#include <optional>

#include "common/clock.h"
#include "common/str_cat.h"
#include "storage/sql_batch.h"

namespace im::storage {
namespace {

constexpr std::string_view kTicketColumns =
    "SELECT t.ticket_id, t.desk_id, t.customer_id, COALESCE(t.agent_id, 0), t.opened_at_ms,"
    " c.username, COALESCE(a.username, '') FROM desk_tickets t"
    " JOIN users c ON c.user_id = t.customer_id LEFT JOIN users a ON a.user_id = t.agent_id";

internal::DeskTicket ReadTicket(const SqlRow& row) {
  internal::DeskTicket t;
  t.set_ticket_id(row.U64(0));
  t.set_desk_id(row.U64(1));
  t.set_customer_id(row.U64(2));
  t.set_agent_id(row.U64(3));
  t.set_opened_at_ms(row.I64(4));
  t.set_customer(row.Str(5));
  t.set_agent(row.Str(6));
  return t;
}

// The ticket as stored now, with `from`'s opened and assigned flags.
absl::StatusOr<internal::DeskTicket> Reread(MysqlConnection& conn,
                                            const internal::DeskTicket& from) {
  auto found = conn.Execute(common::StrCat(kTicketColumns, " WHERE t.ticket_id = ?"),
                            {from.ticket_id()});
  if (!found.ok()) return found.status();
  if (found->rows.empty()) return absl::InternalError("a desk ticket vanished");
  internal::DeskTicket t = ReadTicket(found->rows[0]);
  t.set_opened(from.opened());
  t.set_assigned(from.assigned());
  return t;
}

// The customer's open ticket, locked by the caller's desk lock; nullopt if none.
absl::StatusOr<std::optional<internal::DeskTicket>> FindOpen(MysqlConnection& conn,
                                                             std::uint64_t desk_id,
                                                             std::uint64_t customer_id) {
  auto found = conn.Execute(common::StrCat(kTicketColumns,
                                           " WHERE t.desk_id = ? AND t.open_customer_id = ?"),
                            {desk_id, customer_id});
  if (!found.ok()) return found.status();
  if (found->rows.empty()) return std::optional<internal::DeskTicket>();
  return std::optional<internal::DeskTicket>(ReadTicket(found->rows[0]));
}

// `ticket` given to `agent_id`, as stored now (assigned set).
absl::StatusOr<internal::DeskTicket> Assign(MysqlConnection& conn, internal::DeskTicket ticket,
                                            std::uint64_t agent_id) {
  auto updated = conn.Execute(
      "UPDATE desk_tickets SET agent_id = ?, assigned_at_ms = ? WHERE ticket_id = ?",
      {agent_id, common::NowMs(), ticket.ticket_id()});
  if (!updated.ok()) return updated.status();
  ticket.set_assigned(true);
  return Reread(conn, ticket);
}

// The open ticket held by `agent_id`, or why not.
absl::StatusOr<internal::DeskTicket> HeldBy(MysqlConnection& conn, std::uint64_t desk_id,
                                            std::uint64_t customer_id, std::uint64_t agent_id) {
  auto open = FindOpen(conn, desk_id, customer_id);
  if (!open.ok()) return open.status();
  if (!*open) return absl::NotFoundError("no open conversation with that customer");
  if ((*open)->agent_id() != agent_id) {
    return absl::PermissionDeniedError("another agent has that conversation");
  }
  return **open;
}

}  // namespace

template <typename Change>
absl::Status DeskStore::UnderDeskLock(std::uint64_t desk_id, Change change) {
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  MysqlConnection& conn = **lease;
  return RunTransaction(conn, [&]() -> absl::Status {
    auto desk = conn.Execute("SELECT user_id FROM users WHERE user_id = ? FOR UPDATE", {desk_id});
    if (!desk.ok()) return desk.status();
    if (desk->rows.empty()) return absl::NotFoundError("no such desk account");
    return change(conn);
  });
}

absl::StatusOr<internal::DeskTicket> DeskStore::Route(
    std::uint64_t desk_id, std::uint64_t customer_id,
    const std::vector<std::uint64_t>& online_agents) {
  internal::DeskTicket ticket;
  absl::Status status = UnderDeskLock(desk_id, [&](MysqlConnection& conn) -> absl::Status {
    ticket.Clear();
    auto open = FindOpen(conn, desk_id, customer_id);
    if (!open.ok()) return open.status();
    if (*open && (*open)->agent_id() != 0) {
      ticket = **open;
      return absl::OkStatus();
    }
    // The online agent with the fewest open tickets.
    std::uint64_t agent = 0;
    if (!online_agents.empty()) {
      std::map<std::uint64_t, std::uint64_t> open_count;
      absl::Status counted = ForEachSizedBatch(
          online_agents.size(), [&](std::size_t begin, std::size_t end, std::size_t rows) {
            std::vector<SqlParam> params{desk_id};
            for (std::size_t i = 0; i < rows; ++i) {
              params.emplace_back(online_agents[begin + i < end ? begin + i : begin]);
            }
            auto counts = conn.Execute(
                common::StrCat("SELECT agent_id, COUNT(*) FROM desk_tickets WHERE desk_id = ?"
                               " AND open_customer_id IS NOT NULL AND agent_id IN (",
                               Repeat("?", rows), ") GROUP BY agent_id"),
                params);
            if (!counts.ok()) return counts.status();
            for (const SqlRow& row : counts->rows) open_count[row.U64(0)] = row.U64(1);
            return absl::OkStatus();
          });
      if (!counted.ok()) return counted;
      agent = online_agents.front();
      for (std::uint64_t candidate : online_agents) {
        if (open_count[candidate] < open_count[agent]) agent = candidate;
      }
    }
    if (*open) {  // queued until now
      ticket = **open;
    } else {  // opened queued, then given to the agent if there is one
      auto inserted = conn.Execute(
          "INSERT INTO desk_tickets (desk_id, customer_id, open_customer_id, opened_at_ms)"
          " VALUES (?, ?, ?, ?)",
          {desk_id, customer_id, customer_id, common::NowMs()});
      if (!inserted.ok()) return inserted.status();
      ticket.set_ticket_id(inserted->insert_id);
      ticket.set_opened(true);
    }
    auto stored = agent == 0 ? Reread(conn, ticket) : Assign(conn, ticket, agent);
    if (!stored.ok()) return stored.status();
    ticket = std::move(*stored);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return ticket;
}

absl::StatusOr<std::vector<internal::DeskTicket>> DeskStore::AssignQueued(std::uint64_t desk_id,
                                                                          std::uint64_t agent_id,
                                                                          std::uint32_t limit) {
  std::vector<internal::DeskTicket> given;
  absl::Status status = UnderDeskLock(desk_id, [&](MysqlConnection& conn) -> absl::Status {
    given.clear();
    auto queued = conn.Execute(
        common::StrCat(kTicketColumns,
                       " WHERE t.desk_id = ? AND t.open_customer_id IS NOT NULL"
                       " AND t.agent_id IS NULL ORDER BY t.ticket_id LIMIT ?"),
        {desk_id, static_cast<std::uint64_t>(std::max<std::uint32_t>(limit, 1))});
    if (!queued.ok()) return queued.status();
    for (const SqlRow& row : queued->rows) {
      auto assigned = Assign(conn, ReadTicket(row), agent_id);
      if (!assigned.ok()) return assigned.status();
      given.push_back(std::move(*assigned));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return given;
}

absl::StatusOr<std::vector<std::uint64_t>> DeskStore::UserIds(
    const std::vector<std::string>& names) {
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  std::vector<std::uint64_t> ids;
  absl::Status status =
      ForEachSizedBatch(names.size(), [&](std::size_t begin, std::size_t end, std::size_t rows) {
        std::vector<SqlParam> params;
        for (std::size_t i = 0; i < rows; ++i) {
          params.emplace_back(std::string_view(names[begin + i < end ? begin + i : begin]));
        }
        auto found = (*lease)->Execute(
            common::StrCat("SELECT user_id FROM users WHERE username IN (", Repeat("?", rows), ")"),
            params);
        if (!found.ok()) return found.status();
        for (const SqlRow& row : found->rows) ids.push_back(row.U64(0));
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

absl::StatusOr<internal::DeskTicket> DeskStore::Open(std::uint64_t desk_id,
                                                     std::uint64_t customer_id) {
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  auto open = FindOpen(**lease, desk_id, customer_id);
  if (!open.ok()) return open.status();
  if (!*open) return absl::NotFoundError("no open conversation with that customer");
  return **open;
}

absl::StatusOr<internal::DeskTicket> DeskStore::Transfer(std::uint64_t desk_id,
                                                         std::uint64_t customer_id,
                                                         std::uint64_t agent_id,
                                                         std::uint64_t to_agent_id) {
  internal::DeskTicket ticket;
  absl::Status status = UnderDeskLock(desk_id, [&](MysqlConnection& conn) -> absl::Status {
    auto held = HeldBy(conn, desk_id, customer_id, agent_id);
    if (!held.ok()) return held.status();
    ticket = *held;
    if (to_agent_id == agent_id) return absl::OkStatus();
    auto assigned = Assign(conn, ticket, to_agent_id);
    if (!assigned.ok()) return assigned.status();
    ticket = std::move(*assigned);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return ticket;
}

absl::StatusOr<internal::DeskTicket> DeskStore::Close(std::uint64_t desk_id,
                                                      std::uint64_t customer_id,
                                                      std::uint64_t agent_id) {
  internal::DeskTicket ticket;
  absl::Status status = UnderDeskLock(desk_id, [&](MysqlConnection& conn) -> absl::Status {
    auto held = HeldBy(conn, desk_id, customer_id, agent_id);
    if (!held.ok()) return held.status();
    ticket = *held;
    return conn
        .Execute("UPDATE desk_tickets SET open_customer_id = NULL, closed_at_ms = ?"
                 " WHERE ticket_id = ?",
                 {common::NowMs(), ticket.ticket_id()})
        .status();
  });
  if (!status.ok()) return status;
  return ticket;
}

absl::StatusOr<internal::DeskView> DeskStore::View(std::uint64_t desk_id, std::uint64_t agent_id) {
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  auto open = (*lease)->Execute(
      common::StrCat(kTicketColumns,
                     " WHERE t.desk_id = ? AND t.open_customer_id IS NOT NULL"
                     " AND (t.agent_id = ? OR t.agent_id IS NULL) ORDER BY t.ticket_id"),
      {desk_id, agent_id});
  if (!open.ok()) return open.status();
  internal::DeskView view;
  for (const SqlRow& row : open->rows) {
    internal::DeskTicket t = ReadTicket(row);
    *(t.agent_id() == 0 ? view.add_queued() : view.add_mine()) = std::move(t);
  }
  return view;
}

}  // namespace im::storage
