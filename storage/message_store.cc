#include "storage/message_store.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "common/clock.h"
#include "common/proto_json.h"
#include "common/str_cat.h"
#include "storage/direct_conversation.h"
#include "storage/group_event_rows.h"
#include "storage/group_membership.h"
#include "storage/group_rules.h"
#include "storage/sql_batch.h"
#include "storage/webhook_outbox_store.h"

namespace im::storage {
namespace {

constexpr std::int64_t kDirectConversation = 1;
constexpr std::int64_t kGroupConversation = 2;

// Creates the direct conversation between two users and its two member rows,
// in one transaction: a creator that dies or deadlocks part-way leaves
// nothing behind. (When these were separate statements, a conversation could
// be left without its member rows, and then nothing in it reached either
// user's sync; migration 008 repairs such conversations.) Racing creators
// wait on the peer_key's unique index; one that deadlocks is run again.
absl::Status EnsureDirectConversation(MysqlConnection& conn, std::uint64_t a, std::uint64_t b) {
  const std::string peer_key = DirectPeerKey(a, b);
  return RunTransaction(
      conn,
      [&]() -> absl::Status {
        auto created = conn.Execute(
            "INSERT IGNORE INTO conversations (kind, peer_key, max_seq, created_at_ms)"
            " VALUES (?, ?, 0, ?)",
            {kDirectConversation, std::string_view(peer_key), common::NowMs()});
        if (!created.ok()) return created.status();
        auto found = conn.Execute(
            "SELECT conv_id FROM conversations WHERE peer_key = ? LOCK IN SHARE MODE", {peer_key});
        if (!found.ok()) return found.status();
        if (found->rows.empty()) return absl::InternalError("conversation vanished after creation");
        const std::uint64_t conv_id = found->rows[0].U64(0);
        return conn
            .Execute(
                "INSERT IGNORE INTO conversation_members (conv_id, user_id) VALUES (?, ?), (?, ?)",
                {conv_id, a, conv_id, b})
            .status();
      },
      /*attempts=*/5);
}

// The conversation of each direct append, creating the missing ones first.
absl::StatusOr<std::map<std::string, std::uint64_t>> DirectConversations(
    MysqlConnection& conn, const std::vector<Append>& batch) {
  std::vector<std::string> keys;
  for (const Append& a : batch) {
    if (a.group_id == 0) keys.push_back(DirectPeerKey(a.sender_id, a.recipient_id));
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  std::map<std::string, std::uint64_t> conv_of;
  auto read = [&]() {
    return ForEachSizedBatch(
        keys.size(), [&](std::size_t begin, std::size_t end, std::size_t rows) {
          std::vector<SqlParam> params;
          for (std::size_t i = 0; i < rows; ++i) {
            params.emplace_back(std::string_view(keys[begin + i < end ? begin + i : begin]));
          }
          auto found = conn.Execute(common::StrCat("SELECT peer_key, conv_id FROM conversations"
                                                   " WHERE peer_key IN (",
                                                   Repeat("?", rows), ")"),
                                    params);
          if (!found.ok()) return found.status();
          for (const SqlRow& row : found->rows) conv_of[row.Str(0)] = row.U64(1);
          return absl::OkStatus();
        });
  };
  if (auto s = read(); !s.ok()) return s;
  bool created = false;
  for (const Append& a : batch) {
    if (a.group_id != 0 || conv_of.count(DirectPeerKey(a.sender_id, a.recipient_id))) continue;
    if (auto s = EnsureDirectConversation(conn, a.sender_id, a.recipient_id); !s.ok()) return s;
    created = true;
  }
  if (created) {
    if (auto s = read(); !s.ok()) return s;
  }
  return conv_of;
}

// Step 7 of a batch, for its sender devices: each (sender, device,
// conversation) moves its cursor from right before the first of its new seqs
// to the last of their unbroken run; a cursor anywhere else stays. A device
// with no cursor stands at 0.
absl::Status AdvanceSenderCursors(MysqlConnection& conn, const std::vector<Append>& batch,
                                  const std::vector<std::size_t>& accepted) {
  using Key = std::tuple<std::uint64_t, std::string_view, std::uint64_t>;  // user, device, conv
  std::map<Key, std::vector<std::uint64_t>> sent;
  for (std::size_t i : accepted) {
    const Append& a = batch[i];
    if (a.sender_device.empty()) continue;
    sent[{a.sender_id, a.sender_device, a.result->conv_id()}].push_back(a.result->seq());
  }
  struct Run {
    Key key;
    std::uint64_t first, last;
  };
  std::vector<Run> runs;
  for (auto& [key, seqs] : sent) {
    std::sort(seqs.begin(), seqs.end());
    std::uint64_t last = seqs.front();
    for (std::size_t k = 1; k < seqs.size() && seqs[k] == last + 1; ++k) last = seqs[k];
    runs.push_back({key, seqs.front(), last});
  }
  return ForEachSizedBatch(runs.size(), [&](std::size_t begin, std::size_t end, std::size_t rows) {
    std::vector<SqlParam> params;
    for (std::size_t k = 0; k < rows; ++k) {
      const Run& r = runs[begin + k < end ? begin + k : begin];  // a repeat changes nothing
      params.insert(params.end(),
                    {std::get<0>(r.key), std::get<1>(r.key), std::get<2>(r.key), r.first, r.last});
    }
    return conn
        .Execute(common::StrCat(
                     "INSERT INTO device_cursors (user_id, device_id, conv_id, acked_seq)"
                     " SELECT v.u, v.d, v.c, v.last FROM (",
                     ParamRows({"u", "d", "c", "first", "last"}, rows),
                     ") v WHERE COALESCE((SELECT cur.acked_seq FROM device_cursors cur"
                     " WHERE cur.user_id = v.u AND cur.device_id = v.d AND cur.conv_id = v.c),"
                     " 0) + 1 = v.first"
                     " ON DUPLICATE KEY UPDATE acked_seq = VALUES(acked_seq)"),
                 params)
        .status();
  });
}

// One attempt at the batch's transaction (the caller begins, commits or
// rolls back). Fills each append's result; returns an error only for the
// transaction as a whole (ABORTED: a deadlock or a racing replica; run again).
absl::Status AppendInTransaction(MysqlConnection& conn, std::vector<Append>& batch,
                                 const std::map<std::string, std::uint64_t>& direct_conv) {
  const std::size_t n = batch.size();
  std::vector<std::uint64_t> conv(n);
  for (std::size_t i = 0; i < n; ++i) {
    Append& a = batch[i];
    if (a.group_id != 0) {
      conv[i] = a.group_id;
    } else {
      auto it = direct_conv.find(DirectPeerKey(a.sender_id, a.recipient_id));
      if (it == direct_conv.end()) return absl::InternalError("direct conversation is missing");
      conv[i] = it->second;
    }
    a.result = absl::UnknownError("not decided");  // step 8 answers what stays so
  }

  // 1. Relation versions, share-locked in user id order (relationship changes
  //    take these rows exclusively, in the same order).
  std::vector<std::uint64_t> users;
  for (const Append& a : batch) {
    if (a.group_id == 0 && a.precondition) users.insert(users.end(), {a.sender_id, a.recipient_id});
  }
  std::sort(users.begin(), users.end());
  users.erase(std::unique(users.begin(), users.end()), users.end());
  std::map<std::uint64_t, std::uint64_t> version;
  absl::Status status =
      ForEachRowWithIdIn(conn, "SELECT user_id, relation_version FROM users WHERE user_id IN ",
                         users, " ORDER BY user_id LOCK IN SHARE MODE",
                         [&](const SqlRow& row) { version[row.U64(0)] = row.U64(1); });
  if (!status.ok()) return status;

  // 2. Every conversation once, in id order: appends to one conversation
  //    are serialised by this lock until the commit.
  std::vector<std::uint64_t> convs(conv);
  std::sort(convs.begin(), convs.end());
  convs.erase(std::unique(convs.begin(), convs.end()), convs.end());
  std::map<std::uint64_t, std::uint64_t> max_seq;
  status = ForEachRowWithIdIn(conn, "SELECT conv_id, max_seq FROM conversations WHERE conv_id IN ",
                              convs, " ORDER BY conv_id FOR UPDATE",
                              [&](const SqlRow& row) { max_seq[row.U64(0)] = row.U64(1); });
  if (!status.ok()) return status;

  // 3. Resends: earlier messages with the same (sender, client id), read
  //    after the locks so a resend racing its original finds it.
  std::vector<std::size_t> with_id;
  for (std::size_t i = 0; i < n; ++i) {
    if (!batch[i].client_msg_id.empty()) with_id.push_back(i);
  }
  struct Earlier {
    internal::AppendMessageResponse stored;
    std::uint64_t conv_id;
    std::string kind, body;
  };
  std::map<std::pair<std::uint64_t, std::string>, Earlier> earlier;
  status = ForEachSizedBatch(with_id.size(), [&](std::size_t begin, std::size_t end,
                                                 std::size_t rows) {
    std::vector<SqlParam> params;
    for (std::size_t k = 0; k < rows; ++k) {
      const Append& a = batch[with_id[begin + k < end ? begin + k : begin]];
      params.insert(params.end(), {a.sender_id, std::string_view(a.client_msg_id)});
    }
    auto found = conn.Execute(
        common::StrCat("SELECT sender_id, client_msg_id, msg_id, conv_id, seq, sent_at_ms, kind,"
                       " body FROM messages WHERE (sender_id, client_msg_id) IN (",
                       Repeat("(?, ?)", rows), ")"),
        params);
    if (!found.ok()) return found.status();
    for (const SqlRow& row : found->rows) {
      Earlier e;
      e.stored.set_msg_id(row.U64(2));
      e.stored.set_conv_id(row.U64(3));
      e.stored.set_seq(row.U64(4));
      e.stored.set_sent_at_ms(row.I64(5));
      e.stored.set_duplicate(true);
      e.conv_id = row.U64(3);
      e.kind = row.Str(6);
      e.body = row.Str(7);
      earlier[{row.U64(0), row.Str(1)}] = std::move(e);
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;

  // 4. Decide each append; the ones that go in take their conversation's next seq.
  std::map<std::uint64_t, GroupState> groups;  // read once per group
  std::map<std::pair<std::uint64_t, std::uint64_t>, Membership> members;
  std::map<std::pair<std::uint64_t, std::string>, std::size_t> first_in_batch;
  std::vector<std::size_t> accepted;
  const std::int64_t now = common::NowMs();
  for (std::size_t i = 0; i < n; ++i) {
    Append& a = batch[i];
    // A resend: the same content to the same place is the original; other
    // content under a used client id is refused. (A recalled original has
    // lost its body; it still counts as the same send.)
    auto same_send = [&](std::uint64_t at_conv, const std::string& kind, const std::string& body) {
      return at_conv == conv[i] && kind == a.kind && (body == a.body || body.empty());
    };
    if (!a.client_msg_id.empty()) {
      if (auto e = earlier.find({a.sender_id, a.client_msg_id}); e != earlier.end()) {
        a.result = same_send(e->second.conv_id, e->second.kind, e->second.body)
                       ? absl::StatusOr<internal::AppendMessageResponse>(e->second.stored)
                       : absl::AlreadyExistsError(
                             "client_msg_id was already used for a different message");
        continue;
      }
      auto [first, fresh] = first_in_batch.emplace(std::make_pair(a.sender_id, a.client_msg_id), i);
      if (!fresh) {  // a resend within this batch: answered from its original below
        const Append& original = batch[first->second];
        if (!same_send(conv[first->second], original.kind, original.body)) {
          a.result =
              absl::AlreadyExistsError("client_msg_id was already used for a different message");
        }
        continue;
      }
    }
    if (a.group_id == 0) {
      if (a.precondition && (version[a.sender_id] != a.precondition->sender_version ||
                             version[a.recipient_id] != a.precondition->recipient_version)) {
        a.result = absl::FailedPreconditionError("relation changed");
        continue;
      }
    } else {
      auto g = groups.find(a.group_id);
      if (g == groups.end()) {
        auto read = ReadGroup(conn, a.group_id, /*lock=*/false);  // locked in step 2
        if (!read.ok() && read.status().code() != absl::StatusCode::kNotFound) return read.status();
        if (!read.ok()) {
          a.result = read.status();
          continue;
        }
        g = groups.emplace(a.group_id, *read).first;
      }
      auto m = members.find({a.group_id, a.sender_id});
      if (m == members.end()) {
        auto read = ReadMembership(conn, a.group_id, a.sender_id);
        if (!read.ok()) return read.status();
        m = members.emplace(std::make_pair(a.group_id, a.sender_id), *read).first;
      }
      absl::Status may =
          m->second.role == internal::GROUP_ROLE_NONE
              ? absl::PermissionDeniedError(
                    common::StrCat("you are not a member of group ", a.group_id))
              : MaySend(m->second.role, m->second.muted_until_ms, g->second.mute_all, now);
      if (!may.ok()) {
        a.result = may;
        continue;
      }
    }
    if (max_seq.count(conv[i]) == 0) return absl::InternalError("conversation row is missing");
    internal::AppendMessageResponse stored;
    stored.set_conv_id(conv[i]);
    stored.set_seq(++max_seq[conv[i]]);
    stored.set_sent_at_ms(now);
    stored.set_duplicate(false);
    if (a.group_id != 0) stored.set_member_count(groups[a.group_id].member_count);
    a.result = std::move(stored);
    accepted.push_back(i);
  }

  // 5. The new messages: exact-size statements (a padded row would repeat a
  //    seq). A client id taken meanwhile by another replica fails the insert:
  //    the batch runs again and finds it as a resend.
  status = ForEachExactBatch(accepted.size(), [&](std::size_t begin, std::size_t end) {
    std::vector<SqlParam> params;
    for (std::size_t k = begin; k < end; ++k) {
      const Append& a = batch[accepted[k]];
      const auto& r = *a.result;
      params.insert(params.end(),
                    {r.conv_id(), r.seq(), a.sender_id,
                     a.client_msg_id.empty() ? SqlParam(nullptr)
                                             : SqlParam(std::string_view(a.client_msg_id)),
                     std::string_view(a.body), r.sent_at_ms(), std::string_view(a.kind)});
    }
    auto inserted = conn.Execute(
        common::StrCat("INSERT INTO messages"
                       " (conv_id, seq, sender_id, client_msg_id, body, sent_at_ms, kind) VALUES ",
                       Repeat("(?, ?, ?, ?, ?, ?, ?)", end - begin)),
        params);
    if (inserted.status().code() == absl::StatusCode::kAlreadyExists) {
      return absl::AbortedError("a client id was taken meanwhile");
    }
    return inserted.status();
  });
  if (!status.ok()) return status;

  // 6. Their ids, by (conv_id, seq).
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::size_t> at;  // (conv, seq) -> append
  for (std::size_t i : accepted) at[{batch[i].result->conv_id(), batch[i].result->seq()}] = i;
  status =
      ForEachSizedBatch(accepted.size(), [&](std::size_t begin, std::size_t end, std::size_t rows) {
        std::vector<SqlParam> params;
        for (std::size_t k = 0; k < rows; ++k) {
          const auto& r = *batch[accepted[begin + k < end ? begin + k : begin]].result;
          params.insert(params.end(), {r.conv_id(), r.seq()});
        }
        auto found = conn.Execute(common::StrCat("SELECT conv_id, seq, msg_id FROM messages"
                                                 " WHERE (conv_id, seq) IN (",
                                                 Repeat("(?, ?)", rows), ")"),
                                  params);
        if (!found.ok()) return found.status();
        for (const SqlRow& row : found->rows) {
          auto it = at.find({row.U64(0), row.U64(1)});
          if (it != at.end()) batch[it->second].result->set_msg_id(row.U64(2));
        }
        return absl::OkStatus();
      });
  if (!status.ok()) return status;

  // 6b. The webhook events of the new messages, in the same transaction.
  std::vector<const internal::OutboxEvent*> events;
  for (std::size_t i : accepted) {
    Append& a = batch[i];
    if (!a.webhook_event) continue;
    const auto& r = *a.result;
    internal::StoredMessage* m = a.webhook_event->mutable_message();
    m->set_msg_id(r.msg_id());
    m->set_conv_id(r.conv_id());
    m->set_seq(r.seq());
    m->set_sender_id(a.sender_id);
    m->set_sent_at_ms(r.sent_at_ms());
    m->set_kind(a.kind);
    m->set_group_id(a.group_id);
    if (a.kind == kDeskReplyKind) {  // served as text with its agent (ReadMessage)
      internal::StoredMessage body;
      (void)common::ProtoFromJson(a.body, &body);
      m->set_kind("text");
      m->set_text(body.text());
      m->set_agent(body.agent());
    } else if (a.kind == "text") {
      m->set_text(a.body);
    } else {
      m->set_payload(a.body);
    }
    events.push_back(&*a.webhook_event);
  }
  status = WebhookOutboxStore::RecordInTransaction(conn, events);
  if (!status.ok()) return status;

  // 7. Each conversation's new max_seq, and each sender's read cursor (what
  //    you sent yourself is not unread to you). Every row exists (locked or
  //    checked above), so these upserts only update; a repeated row changes
  //    nothing.
  std::map<std::uint64_t, std::uint64_t> new_max;                            // conv -> seq
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::uint64_t> read_to;  // (conv, sender)
  for (std::size_t i : accepted) {
    const auto& r = *batch[i].result;
    new_max[r.conv_id()] = std::max(new_max[r.conv_id()], r.seq());
    auto& read = read_to[{r.conv_id(), batch[i].sender_id}];
    read = std::max(read, r.seq());
  }
  const std::vector<std::pair<std::uint64_t, std::uint64_t>> max_rows(new_max.begin(),
                                                                      new_max.end());
  status = ForEachSizedBatch(max_rows.size(), [&](std::size_t begin, std::size_t end,
                                                  std::size_t rows) {
    std::vector<SqlParam> params;
    for (std::size_t k = 0; k < rows; ++k) {
      const auto& [conv_id, seq] = max_rows[begin + k < end ? begin + k : begin];
      params.insert(params.end(), {conv_id, seq});
    }
    return conn
        .Execute(common::StrCat("INSERT INTO conversations (conv_id, max_seq, kind, created_at_ms)"
                                " VALUES ",
                                Repeat("(?, ?, 0, 0)", rows),
                                " ON DUPLICATE KEY UPDATE max_seq = VALUES(max_seq)"),
                 params)
        .status();
  });
  if (!status.ok()) return status;
  const std::vector<std::pair<std::pair<std::uint64_t, std::uint64_t>, std::uint64_t>> read_rows(
      read_to.begin(), read_to.end());
  status = ForEachSizedBatch(
      read_rows.size(), [&](std::size_t begin, std::size_t end, std::size_t rows) {
        std::vector<SqlParam> params;
        for (std::size_t k = 0; k < rows; ++k) {
          const auto& [key, seq] = read_rows[begin + k < end ? begin + k : begin];
          params.insert(params.end(), {key.first, key.second, seq});
        }
        return conn
            .Execute(common::StrCat("INSERT INTO conversation_members (conv_id, user_id, read_seq)"
                                    " VALUES ",
                                    Repeat("(?, ?, ?)", rows),
                                    " ON DUPLICATE KEY UPDATE"
                                    " read_seq = GREATEST(read_seq, VALUES(read_seq))"),
                     params)
            .status();
      });
  if (!status.ok()) return status;
  status = AdvanceSenderCursors(conn, batch, accepted);
  if (!status.ok()) return status;

  // 8. Resends within the batch get their original's result.
  for (std::size_t i = 0; i < n; ++i) {
    Append& a = batch[i];
    if (a.result.status().code() != absl::StatusCode::kUnknown) continue;
    auto first = first_in_batch.find({a.sender_id, a.client_msg_id});
    if (first == first_in_batch.end()) {
      a.result = absl::InternalError("an append was left undecided");
      continue;
    }
    const Append& original = batch[first->second];
    if (!original.result.ok()) {  // refused, and so is its resend
      a.result = original.result.status();
      continue;
    }
    internal::AppendMessageResponse again = *original.result;
    again.set_duplicate(true);
    a.result = std::move(again);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status MessageStore::AppendMany(std::vector<Append>& batch) {
  if (batch.empty()) return absl::OkStatus();
  auto lease = pool_->Acquire();
  absl::Status status = lease.status();
  if (status.ok()) {
    MysqlConnection& conn = **lease;
    auto direct_conv = DirectConversations(conn, batch);
    status = direct_conv.status();
    if (status.ok()) {
      status = RunTransaction(
          conn, [&] { return AppendInTransaction(conn, batch, *direct_conv); }, /*attempts=*/5);
    }
  }
  if (!status.ok()) {
    for (Append& a : batch) a.result = status;
  }
  return status;
}

absl::StatusOr<internal::AppendMessageResponse> MessageStore::AppendOne(Append append) {
  std::vector<Append> one;
  one.push_back(std::move(append));
  AppendMany(one).IgnoreError();  // the result says it
  return std::move(one[0].result);
}

absl::StatusOr<internal::AppendMessageResponse> MessageStore::AppendDirect(
    std::uint64_t sender_id, std::uint64_t recipient_id, std::string_view client_msg_id,
    std::string_view body, std::optional<RelationPrecondition> precondition,
    std::string_view kind) {
  Append append;
  append.sender_id = sender_id;
  append.recipient_id = recipient_id;
  append.client_msg_id = client_msg_id;
  append.body = body;
  append.kind = kind;
  append.precondition = precondition;
  return AppendOne(std::move(append));
}

absl::StatusOr<internal::AppendMessageResponse> MessageStore::AppendGroup(
    std::uint64_t sender_id, std::uint64_t group_id, std::string_view client_msg_id,
    std::string_view body, std::string_view kind) {
  Append append;
  append.sender_id = sender_id;
  append.group_id = group_id;
  append.client_msg_id = client_msg_id;
  append.body = body;
  append.kind = kind;
  return AppendOne(std::move(append));
}

absl::StatusOr<internal::RecallMessageResponse> MessageStore::Recall(
    std::uint64_t user_id, std::uint64_t msg_id, std::int64_t window_ms,
    const RecallHook& before_update) {
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  MysqlConnection& conn = **lease;
  auto found = conn.Execute(
      "SELECT m.conv_id, m.seq, m.sender_id, m.sent_at_ms, c.kind, m.kind FROM messages m"
      " JOIN conversations c ON c.conv_id = m.conv_id"
      " JOIN conversation_members cm ON cm.conv_id = m.conv_id AND cm.user_id = ?"
      "  AND m.seq > cm.visible_after_seq AND (c.kind = 1 OR cm.visible_until_seq IS NULL)"
      " WHERE m.msg_id = ?",
      {user_id, msg_id});
  if (!found.ok()) return found.status();
  if (found->rows.empty()) return absl::NotFoundError("no such message");
  const SqlRow& row = found->rows[0];
  if (row.U64(2) != user_id) {
    return absl::PermissionDeniedError("only the sender can recall a message");
  }
  if (row.Str(5) == kGroupEventKind || row.Str(5) == "system") {
    return absl::FailedPreconditionError("a group's record of its changes cannot be recalled");
  }
  if (common::NowMs() - row.I64(3) > window_ms) {
    return absl::FailedPreconditionError(common::StrCat(
        "messages can be recalled for ", window_ms / 1000, " seconds after sending"));
  }
  if (before_update) {
    if (absl::Status s = before_update(row.U64(0), row.U64(1)); !s.ok()) return s;
  }
  auto recalled =
      conn.Execute("UPDATE messages SET recalled = 1, body = '' WHERE msg_id = ?", {msg_id});
  if (!recalled.ok()) return recalled.status();
  internal::RecallMessageResponse response;
  response.set_conv_id(row.U64(0));
  response.set_seq(row.U64(1));
  if (row.I64(4) == kGroupConversation) {
    response.set_group_id(row.U64(0));
    return response;
  }
  auto members =
      conn.Execute("SELECT user_id FROM conversation_members WHERE conv_id = ?", {row.U64(0)});
  if (!members.ok()) return members.status();
  for (const auto& m : members->rows) response.add_member_ids(m.U64(0));
  return response;
}

}  // namespace im::storage
