#include "storage/conversation_store.h"

#include <algorithm>
#include <limits>
#include <map>
#include <tuple>

#include "common/proto_json.h"
#include "common/str_cat.h"
#include "storage/direct_conversation.h"
#include "storage/group_event_rows.h"
#include "storage/group_membership.h"
#include "storage/sql_batch.h"

namespace im::storage {
namespace {

// The columns ReadMessage expects, and the joins they need (`m` is messages).
// The recipient of a 1:1 message is the conversation's other member; a group
// message names its group instead.
constexpr std::string_view kMessageColumns =
    "m.msg_id, m.conv_id, m.seq, m.sender_id, s.username, COALESCE(ru.username, ''),"
    " m.body, m.sent_at_ms, m.kind, m.recalled, IF(mc.kind = 2, m.conv_id, 0)";
constexpr std::string_view kMessageJoins =
    " JOIN users s ON s.user_id = m.sender_id"
    " JOIN conversations mc ON mc.conv_id = m.conv_id"
    " LEFT JOIN conversation_members rm ON rm.conv_id = m.conv_id AND mc.kind = 1"
    "  AND rm.user_id <> m.sender_id"
    " LEFT JOIN users ru ON ru.user_id = rm.user_id";

void ReadMessage(const SqlRow& row, std::size_t at, internal::StoredMessage* m) {
  m->set_msg_id(row.U64(at));
  m->set_conv_id(row.U64(at + 1));
  m->set_seq(row.U64(at + 2));
  m->set_sender_id(row.U64(at + 3));
  m->set_sender(row.Str(at + 4));
  m->set_recipient(row.Str(at + 5));
  m->set_sent_at_ms(row.I64(at + 7));
  m->set_kind(row.Str(at + 8));
  m->set_recalled(row.I64(at + 9) != 0);
  m->set_group_id(row.U64(at + 10));
  if (m->recalled()) return;
  if (m->kind() == kGroupEventKind) {
    ReadGroupEventBody(row.Str(at + 6), m);
  } else if (m->kind() == kDeskReplyKind) {  // a desk's reply: the text and its agent
    internal::StoredMessage body;
    (void)common::ProtoFromJson(row.Str(at + 6), &body);
    m->set_kind("text");
    m->set_text(body.text());
    m->set_agent(body.agent());
  } else if (m->kind() == "text" || m->kind() == "system") {
    m->set_text(row.Str(at + 6));
  } else {
    m->set_payload(row.Str(at + 6));
  }
}

// Leaves the messages past the first kMaxPageBytes (keeping at least one)
// for the next page. Pages in seq order drop from the end; History pages
// backwards from before_seq, so it keeps the newest and drops from the start.
void TrimToPageBytes(internal::MessagePage& page, bool keep_newest) {
  auto& messages = *page.mutable_messages();
  const int n = messages.size();
  std::size_t bytes = 0;
  int kept = 0;
  for (; kept < n; ++kept) {
    bytes += messages.Get(keep_newest ? n - 1 - kept : kept).ByteSizeLong();
    if (kept > 0 && bytes > kMaxPageBytes) break;
  }
  if (kept == n) return;
  messages.DeleteSubrange(keep_newest ? 0 : kept, n - kept);
  page.set_more(true);
}

std::uint32_t ClampPage(std::uint32_t limit) {
  return std::clamp<std::uint32_t>(limit == 0 ? 100 : limit, 1, kMaxPageSize);
}

// A conversation the user may read: its id, max_seq and the seqs the user
// sees, (visible_after, visible_until].
struct Readable {
  std::uint64_t conv_id = 0;
  std::uint64_t max_seq = 0;
  std::uint64_t visible_after = 0;
  std::uint64_t visible_until = 0;
};

// NOT_FOUND if the two users have no conversation yet; for a group,
// NOT_FOUND or PERMISSION_DENIED unless the user is a member.
absl::StatusOr<Readable> FindReadable(MysqlConnection& conn, const internal::ConversationRef& ref) {
  if (ref.with_case() == internal::ConversationRef::kGroupId) {
    auto view = RequireMember(conn, ref.group_id(), ref.user_id(), /*lock=*/false);
    if (!view.ok()) return view.status();
    return Readable{ref.group_id(), view->group.max_seq, view->member.visible_after_seq,
                    view->group.max_seq};
  }
  const std::string key = DirectPeerKey(ref.user_id(), ref.peer_id());
  auto rows = conn.Execute("SELECT conv_id, max_seq FROM conversations WHERE peer_key = ?",
                           {std::string_view(key)});
  if (!rows.ok()) return rows.status();
  if (rows->rows.empty()) return absl::NotFoundError("no conversation yet");
  return Readable{rows->rows[0].U64(0), rows->rows[0].U64(1), 0, rows->rows[0].U64(1)};
}

}  // namespace

absl::StatusOr<internal::MessagePage> ConversationStore::Sync(std::uint64_t user_id,
                                                              std::string_view device_id,
                                                              std::uint32_t limit) {
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  const std::uint32_t page = ClampPage(limit);
  MysqlConnection& conn = **lease;
  // 1. The user's conversations holding messages this device has not acked:
  //    the seqs to send of each, (after, until], in conversation order.
  static const std::string pending_sql =
      "SELECT cm.conv_id, GREATEST(COALESCE(d.acked_seq, 0), cm.visible_after_seq),"
      " LEAST(c.max_seq, COALESCE(cm.visible_until_seq, c.max_seq))"
      " FROM conversation_members cm"
      " JOIN conversations c ON c.conv_id = cm.conv_id"
      " LEFT JOIN device_cursors d ON d.user_id = cm.user_id AND d.device_id = ?"
      "  AND d.conv_id = cm.conv_id"
      " WHERE cm.user_id = ?"
      " AND LEAST(c.max_seq, COALESCE(cm.visible_until_seq, c.max_seq))"
      "  > GREATEST(COALESCE(d.acked_seq, 0), cm.visible_after_seq)"
      " ORDER BY cm.conv_id";
  auto pending = conn.Execute(pending_sql, {device_id, user_id});
  if (!pending.ok()) return pending.status();

  // 2. Their messages, one conversation per statement when only one has
  //    any (the common case), else kSyncConversationsPerRead per statement;
  //    each read by index only as far as the page still needs (one row more
  //    than the page tells whether there is more), so a sync examines about
  //    a page of rows however much is unread.
  constexpr std::size_t kSyncConversationsPerRead = 8;
  static const std::string one_conversation =
      common::StrCat("SELECT ", kMessageColumns, " FROM messages m", kMessageJoins,
                     " WHERE m.conv_id = ? AND m.seq > ? AND m.seq <= ? ORDER BY m.seq LIMIT ?");
  static const std::string many_conversations = [] {
    std::string sql;
    for (std::size_t i = 0; i < kSyncConversationsPerRead; ++i) {
      sql += common::StrCat(i == 0 ? "(" : " UNION ALL (", one_conversation, ")");
    }
    return sql + " ORDER BY 2, 3";
  }();
  const auto& ranges = pending->rows;
  internal::MessagePage result;
  std::size_t taken = 0;  // rows read so far, up to page + 1
  for (std::size_t begin = 0; begin < ranges.size() && taken <= page;
       begin += kSyncConversationsPerRead) {
    const std::uint64_t wanted = page + 1 - taken;
    const std::size_t slots = ranges.size() - begin == 1 ? 1 : kSyncConversationsPerRead;
    std::vector<SqlParam> params;
    for (std::size_t i = begin; i < begin + slots; ++i) {
      if (i < ranges.size()) {
        params.insert(params.end(), {ranges[i].U64(0), ranges[i].U64(1), ranges[i].U64(2), wanted});
      } else {  // padding: a conversation 0 with no seqs to read
        params.insert(params.end(),
                      {std::uint64_t{0}, std::uint64_t{0}, std::uint64_t{0}, std::uint64_t{0}});
      }
    }
    auto rows = conn.Execute(slots == 1 ? one_conversation : many_conversations, params);
    if (!rows.ok()) return rows.status();
    for (const SqlRow& row : rows->rows) {
      if (taken++ < page) ReadMessage(row, 0, result.add_messages());
      if (taken > page) break;
    }
  }
  result.set_more(taken > page);
  TrimToPageBytes(result, /*keep_newest=*/false);
  return result;
}

absl::StatusOr<internal::MessagePage> ConversationStore::SyncConversation(
    std::uint64_t user_id, std::string_view device_id, std::uint64_t conv_id, std::uint32_t limit) {
  const std::uint32_t page = ClampPage(limit);
  std::uint64_t after = 0, until = 0;
  internal::MessagePage result;
  std::vector<internal::StoredMessage> read;
  {
    auto lease = pool_->Acquire();
    if (!lease.ok()) return lease.status();
    // The seqs to send, (after, until]: primary-key lookups only.
    static const std::string window_sql =
        "SELECT GREATEST(COALESCE(d.acked_seq, 0), cm.visible_after_seq),"
        " LEAST(c.max_seq, COALESCE(cm.visible_until_seq, c.max_seq))"
        " FROM conversation_members cm"
        " JOIN conversations c ON c.conv_id = cm.conv_id"
        " LEFT JOIN device_cursors d ON d.user_id = cm.user_id AND d.device_id = ?"
        "  AND d.conv_id = cm.conv_id"
        " WHERE cm.conv_id = ? AND cm.user_id = ?";
    auto window = (*lease)->Execute(window_sql, {device_id, conv_id, user_id});
    if (!window.ok()) return window.status();
    if (window->rows.empty()) return absl::NotFoundError("not a member of this conversation");
    after = window->rows[0].U64(0);
    const std::uint64_t end = window->rows[0].U64(1);
    if (end <= after) return result;
    until = std::min<std::uint64_t>(end, after + page);
    result.set_more(end > until);
    if (recent_ != nullptr) {
      auto cached = recent_->Get(conv_id, after, until);
      if (cached.ok() && cached->has_value()) {
        for (auto& m : **cached) *result.add_messages() = std::move(m);
        TrimToPageBytes(result, /*keep_newest=*/false);
        return result;
      }
    }
    static const std::string range_sql =
        common::StrCat("SELECT ", kMessageColumns, " FROM messages m", kMessageJoins,
                       " WHERE m.conv_id = ? AND m.seq > ? AND m.seq <= ? ORDER BY m.seq");
    auto rows = (*lease)->Execute(range_sql, {conv_id, after, until});
    if (!rows.ok()) return rows.status();
    read.resize(rows->rows.size());
    for (std::size_t i = 0; i < read.size(); ++i) ReadMessage(rows->rows[i], 0, &read[i]);
  }
  // Best effort: a message not cached is read from MySQL next time.
  if (recent_ != nullptr) (void)recent_->Put(read);
  for (auto& m : read) *result.add_messages() = std::move(m);
  TrimToPageBytes(result, /*keep_newest=*/false);
  return result;
}

absl::Status ConversationStore::Ack(std::uint64_t user_id, std::string_view device_id,
                                    const std::vector<internal::ConversationSeq>& acks) {
  std::vector<DeviceAck> rows;
  for (const auto& a : acks)
    rows.push_back({user_id, std::string(device_id), a.conv_id(), a.seq()});
  return AckMany(std::move(rows));
}

absl::Status ConversationStore::AckMany(std::vector<DeviceAck> acks) {
  // One row per (user, device, conversation), the highest seq, in key order
  // so that concurrent batches lock cursor rows in the same order.
  auto key = [](const DeviceAck& a) { return std::tie(a.user_id, a.device_id, a.conv_id); };
  std::sort(acks.begin(), acks.end(), [&](const DeviceAck& x, const DeviceAck& y) {
    return key(x) < key(y) || (key(x) == key(y) && x.seq > y.seq);
  });
  acks.erase(std::unique(acks.begin(), acks.end(),
                         [&](const DeviceAck& x, const DeviceAck& y) { return key(x) == key(y); }),
             acks.end());
  if (acks.empty()) return absl::OkStatus();
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  MysqlConnection& conn = **lease;
  auto write = [&]() -> absl::Status {
    // A plain (non-locking) read of max_seq: a locking one would queue every
    // ack behind the appends holding the conversation rows.
    std::map<std::pair<std::uint64_t, std::uint64_t>, std::uint64_t> max_seq;  // (conv, user)
    auto status =
        ForEachSizedBatch(acks.size(), [&](std::size_t begin, std::size_t end, std::size_t rows) {
          // One primary-key lookup per ack (a row IN list scanned every
          // member of a large group).
          const std::string sql = common::StrCat(
              "SELECT cm.conv_id, cm.user_id, c.max_seq FROM (", ParamRows({"c", "u"}, rows),
              ") v"
              " JOIN conversation_members cm ON cm.conv_id = v.c AND cm.user_id = v.u"
              " JOIN conversations c ON c.conv_id = v.c");
          std::vector<SqlParam> params;
          for (std::size_t i = 0; i < rows; ++i) {
            const DeviceAck& a = acks[begin + i < end ? begin + i : begin];
            params.insert(params.end(), {a.conv_id, a.user_id});
          }
          auto found = conn.Execute(sql, params);
          if (!found.ok()) return found.status();
          for (const SqlRow& row : found->rows) max_seq[{row.U64(0), row.U64(1)}] = row.U64(2);
          return absl::OkStatus();
        });
    if (!status.ok()) return status;
    std::vector<DeviceAck> valid;  // the user's conversations only, never past max_seq
    for (const DeviceAck& a : acks) {
      auto it = max_seq.find({a.conv_id, a.user_id});
      if (it == max_seq.end()) continue;
      valid.push_back(a);
      valid.back().seq = std::min(a.seq, it->second);
    }
    return ForEachSizedBatch(valid.size(), [&](std::size_t begin, std::size_t end,
                                               std::size_t rows) {
      const std::string sql = common::StrCat(
          "INSERT INTO device_cursors (user_id, device_id, conv_id, acked_seq) VALUES ",
          Repeat("(?, ?, ?, ?)", rows),
          " ON DUPLICATE KEY UPDATE acked_seq = GREATEST(acked_seq, VALUES(acked_seq))");
      std::vector<SqlParam> params;
      for (std::size_t i = 0; i < rows; ++i) {
        const DeviceAck& a = valid[begin + i < end ? begin + i : begin];
        params.insert(params.end(), {a.user_id, std::string_view(a.device_id), a.conv_id, a.seq});
      }
      return conn.Execute(sql, params).status();
    });
  };
  return RunTransaction(conn, write, /*attempts=*/5);
}

absl::StatusOr<internal::ListConversationsResponse> ConversationStore::List(std::uint64_t user_id) {
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  // Groups the user has left are not listed; 1:1 rows have no end.
  static const std::string sql = common::StrCat(
      "SELECT c.conv_id, COALESCE(pu.username, ''), c.max_seq, cm.read_seq,"
      " COALESCE(g.name, ''), ",
      kMessageColumns,
      " FROM conversation_members cm"
      " JOIN conversations c ON c.conv_id = cm.conv_id"
      " LEFT JOIN conversation_members pm ON pm.conv_id = c.conv_id AND c.kind = 1"
      "  AND pm.user_id <> cm.user_id"
      " LEFT JOIN users pu ON pu.user_id = pm.user_id"
      " LEFT JOIN chat_groups g ON g.conv_id = c.conv_id"
      " JOIN messages m ON m.conv_id = c.conv_id AND m.seq = c.max_seq",
      kMessageJoins,
      " WHERE cm.user_id = ? AND cm.visible_until_seq IS NULL"
      " ORDER BY m.sent_at_ms DESC, c.conv_id DESC");
  auto rows = (*lease)->Execute(sql, {user_id});
  if (!rows.ok()) return rows.status();
  internal::ListConversationsResponse response;
  for (const auto& row : rows->rows) {
    auto* summary = response.add_conversations();
    summary->set_conv_id(row.U64(0));
    summary->set_peer(row.Str(1));
    summary->set_max_seq(row.U64(2));
    summary->set_read_seq(row.U64(3));
    summary->set_unread(summary->max_seq() - std::min(summary->read_seq(), summary->max_seq()));
    ReadMessage(row, 5, summary->mutable_last_message());
    if (summary->last_message().group_id() != 0) {
      summary->set_group_id(summary->conv_id());
      summary->set_group_name(row.Str(4));
    }
  }
  return response;
}

absl::StatusOr<internal::MessagePage> ConversationStore::History(
    const internal::ConversationRef& conversation, std::uint64_t before_seq, std::uint32_t limit) {
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  auto readable = FindReadable(**lease, conversation);
  if (!readable.ok()) return readable.status();
  const std::uint32_t page = ClampPage(limit);
  static const std::string sql = common::StrCat(
      "SELECT ", kMessageColumns, " FROM messages m", kMessageJoins,
      " WHERE m.conv_id = ? AND m.seq < ? AND m.seq > ? ORDER BY m.seq DESC LIMIT ?");
  const std::uint64_t before =
      before_seq == 0 ? std::numeric_limits<std::uint64_t>::max() : before_seq;
  auto rows = (*lease)->Execute(
      sql, {readable->conv_id, before, readable->visible_after, std::uint64_t{page} + 1});
  if (!rows.ok()) return rows.status();
  internal::MessagePage result;
  const std::size_t n = std::min<std::size_t>(rows->rows.size(), page);
  for (std::size_t i = n; i-- > 0;) ReadMessage(rows->rows[i], 0, result.add_messages());
  result.set_more(rows->rows.size() > page);
  TrimToPageBytes(result, /*keep_newest=*/true);
  return result;
}

absl::StatusOr<internal::MarkReadResult> ConversationStore::MarkRead(
    const internal::ConversationRef& conversation, std::uint64_t seq) {
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  auto readable = FindReadable(**lease, conversation);
  if (!readable.ok()) return readable.status();
  const std::uint64_t target = seq == 0 ? readable->max_seq : std::min(seq, readable->max_seq);
  auto updated = (*lease)->Execute(
      "UPDATE conversation_members SET read_seq = GREATEST(read_seq, ?)"
      " WHERE conv_id = ? AND user_id = ?",
      {target, readable->conv_id, conversation.user_id()});
  if (!updated.ok()) return updated.status();
  auto read = (*lease)->Execute(
      "SELECT read_seq FROM conversation_members WHERE conv_id = ? AND user_id = ?",
      {readable->conv_id, conversation.user_id()});
  if (!read.ok()) return read.status();
  if (read->rows.empty()) return absl::NotFoundError("not a member of this conversation");
  internal::MarkReadResult result;
  result.set_conv_id(readable->conv_id);
  result.set_read_seq(read->rows[0].U64(0));
  return result;
}

}  // namespace im::storage
