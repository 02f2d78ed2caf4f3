#include "storage/redis_connection.h"

#include <hiredis/hiredis.h>

#include "common/str_cat.h"

namespace im::storage {

void RedisReplyDeleter::operator()(redisReply* reply) const { freeReplyObject(reply); }

absl::Status RedisErrorStatus(const redisReply& reply) {
  const std::string_view text(reply.str, reply.len);
  const std::string message = common::StrCat("Redis: ", text);
  for (std::string_view transient : {"LOADING ", "BUSY ", "MASTERDOWN ", "TRYAGAIN ", "READONLY "}) {
    if (text.substr(0, transient.size()) == transient) return absl::UnavailableError(message);
  }
  return absl::InternalError(message);
}

absl::StatusOr<std::unique_ptr<RedisConnection>> RedisConnection::Connect(
    const RedisOptions& options) {
  const timeval timeout{options.timeout_ms / 1000, (options.timeout_ms % 1000) * 1000};
  redisContext* context = redisConnectWithTimeout(options.host.c_str(), options.port, timeout);
  if (context == nullptr || context->err != 0) {
    absl::Status status = absl::UnavailableError(
        common::StrCat("cannot connect to Redis at ", options.host, ":", options.port, ": ",
                       context != nullptr ? context->errstr : "out of memory"));
    if (context != nullptr) redisFree(context);
    return status;
  }
  redisSetTimeout(context, timeout);
  std::unique_ptr<RedisConnection> conn(new RedisConnection(context));
  if (auto info = conn->Command({"INFO", "server"});
      info.ok() && (*info)->type == REDIS_REPLY_STRING) {
    const std::string_view text((*info)->str, (*info)->len);
    constexpr std::string_view kField = "run_id:";
    if (auto at = text.find(kField); at != std::string_view::npos) {
      const auto begin = at + kField.size();
      conn->server_run_id_ =
          std::string(text.substr(begin, text.find_first_of("\r\n", begin) - begin));
    }
  }
  if (conn->broken()) return absl::UnavailableError("Redis connection lost");
  return conn;
}

RedisConnection::~RedisConnection() { redisFree(context_); }

absl::StatusOr<RedisReplyPtr> RedisConnection::Command(const std::vector<std::string_view>& args) {
  if (broken_) return absl::UnavailableError("Redis connection lost");
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (auto a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  auto* reply = static_cast<redisReply*>(
      redisCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), lengths.data()));
  if (reply == nullptr) {
    broken_ = true;
    return absl::UnavailableError(common::StrCat("Redis: ", context_->errstr));
  }
  RedisReplyPtr owned(reply);
  if (reply->type == REDIS_REPLY_ERROR) return RedisErrorStatus(*reply);
  return owned;
}

absl::StatusOr<std::vector<RedisReplyPtr>> RedisConnection::Pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  if (broken_) return absl::UnavailableError("Redis connection lost");
  for (const auto& args : commands) {
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lengths.push_back(a.size());
    }
    if (redisAppendCommandArgv(context_, static_cast<int>(argv.size()), argv.data(),
                               lengths.data()) != REDIS_OK) {
      broken_ = true;
      return absl::UnavailableError(common::StrCat("Redis: ", context_->errstr));
    }
  }
  std::vector<RedisReplyPtr> replies;
  replies.reserve(commands.size());
  for (std::size_t i = 0; i < commands.size(); ++i) {
    void* reply = nullptr;
    if (redisGetReply(context_, &reply) != REDIS_OK || reply == nullptr) {
      broken_ = true;
      return absl::UnavailableError(common::StrCat("Redis: ", context_->errstr));
    }
    replies.emplace_back(static_cast<redisReply*>(reply));
  }
  return replies;
}

}  // namespace im::storage
