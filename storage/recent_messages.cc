#include "storage/recent_messages.h"

#include <hiredis/hiredis.h>

#include <string>

#include "common/str_cat.h"

namespace im::storage {
namespace {

std::string Key(const RedisConnection& conn, std::uint64_t conv_id) {
  return common::StrCat("recent:", conn.server_run_id(), ":", conv_id);
}
std::string ContentField(std::uint64_t seq) { return common::StrCat("m", seq); }
std::string RecalledField(std::uint64_t seq) { return common::StrCat("r", seq); }

}  // namespace

void StripRecalled(internal::StoredMessage* message) {
  message->set_recalled(true);
  message->clear_text();
  message->clear_payload();
}

absl::StatusOr<std::optional<std::vector<internal::StoredMessage>>> RecentMessages::Get(
    std::uint64_t conv_id, std::uint64_t after, std::uint64_t until) {
  std::optional<std::vector<internal::StoredMessage>> found;
  if (until <= after) return found.emplace();
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  const std::uint64_t count = until - after;
  // HMGET key m<after+1> .. m<until> r<after+1> .. r<until>
  std::vector<std::string> args{"HMGET", Key(**conn, conv_id)};
  args.reserve(2 + 2 * count);
  for (std::uint64_t seq = after + 1; seq <= until; ++seq) args.push_back(ContentField(seq));
  for (std::uint64_t seq = after + 1; seq <= until; ++seq) args.push_back(RecalledField(seq));
  auto replies = (*conn)->Pipeline({args});
  if (!replies.ok()) return replies.status();
  const redisReply* reply = (*replies)[0].get();
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 * count) {
    return absl::InternalError("Redis: unexpected HMGET reply");
  }
  std::vector<internal::StoredMessage> messages(count);
  for (std::uint64_t i = 0; i < count; ++i) {
    const redisReply* content = reply->element[i];
    if (content->type != REDIS_REPLY_STRING) return found;  // not cached: nullopt
    if (!messages[i].ParseFromArray(content->str, static_cast<int>(content->len))) {
      return found;  // unreadable (written by another version): treat as not cached
    }
    if (reply->element[count + i]->type == REDIS_REPLY_STRING) StripRecalled(&messages[i]);
  }
  found = std::move(messages);
  return found;
}

absl::Status RecentMessages::Put(const std::vector<internal::StoredMessage>& messages) {
  if (messages.empty()) return absl::OkStatus();
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  // Per message: HSET content, HDEL the seq max_messages older, and the
  // key's expiry renewed; one round trip for all.
  const std::string ttl = std::to_string(options_.ttl_seconds);
  std::vector<std::vector<std::string>> commands;
  commands.reserve(3 * messages.size());
  for (const internal::StoredMessage& m : messages) {
    std::string key = Key(**conn, m.conv_id());
    commands.push_back({"HSET", key, ContentField(m.seq()), m.SerializeAsString()});
    const auto max_messages = static_cast<std::uint64_t>(options_.max_messages);
    if (m.seq() > max_messages) {
      commands.push_back({"HDEL", key, ContentField(m.seq() - max_messages)});
    }
    commands.push_back({"EXPIRE", std::move(key), ttl});
  }
  auto replies = (*conn)->Pipeline(commands);
  if (!replies.ok()) return replies.status();
  for (const auto& r : *replies) {
    if (r->type == REDIS_REPLY_ERROR) return RedisErrorStatus(*r);
  }
  return absl::OkStatus();
}

absl::Status RecentMessages::MarkRecalled(std::uint64_t conv_id, std::uint64_t seq) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  const std::string key = Key(**conn, conv_id);
  auto replies = (*conn)->Pipeline({{"HSET", key, RecalledField(seq), "1"},
                                    {"EXPIRE", key, std::to_string(options_.ttl_seconds)}});
  if (!replies.ok()) return replies.status();
  for (const auto& r : *replies) {
    if (r->type == REDIS_REPLY_ERROR) return RedisErrorStatus(*r);
  }
  return absl::OkStatus();
}

}  // namespace im::storage
