#include "storage/redis_connection.h"

#include <hiredis/hiredis.h>

#include <cerrno>

#include "common/str_cat.h"

namespace im::storage {

namespace {
constexpr const char* kErrorsHelp =
    "Redis failures by kind: connect, timeout, closed, protocol, io, or an error reply's code.";
}  // namespace

void RedisReplyDeleter::operator()(redisReply* reply) const { freeReplyObject(reply); }

absl::Status RedisErrorStatus(const redisReply& reply) {
  const std::string_view text(reply.str, reply.len);
  const std::string message = common::StrCat("Redis: ", text);
  for (std::string_view transient :
       {"LOADING ", "BUSY ", "MASTERDOWN ", "TRYAGAIN ", "READONLY "}) {
    if (text.substr(0, transient.size()) == transient) return absl::UnavailableError(message);
  }
  return absl::InternalError(message);
}

std::string RedisErrorCode(const redisReply& reply) {
  const std::string_view text(reply.str, reply.len);
  const std::string_view word = text.substr(0, text.find(' '));
  if (word.empty() || word.size() > 24) return "other";
  for (char c : word) {
    if (c < 'A' || c > 'Z') return "other";
  }
  return std::string(word);
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
    if (options.metrics != nullptr) {
      options.metrics->Counter("im_storage_redis_errors_total", kErrorsHelp, {{"kind", "connect"}})
          .Add();
    }
    return status;
  }
  redisSetTimeout(context, timeout);
  std::unique_ptr<RedisConnection> conn(new RedisConnection(context, options.metrics));
  if (!options.password.empty()) {
    auto auth = conn->Command({"AUTH", options.password});
    if (!auth.ok()) {
      return absl::UnavailableError(
          common::StrCat("Redis at ", options.host, ":", options.port,
                         " refused the password: ", auth.status().message()));
    }
  }
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

void RedisConnection::CountError(const std::string& kind) const {
  if (metrics_ != nullptr) {
    metrics_->Counter("im_storage_redis_errors_total", kErrorsHelp, {{"kind", kind}}).Add();
  }
}

absl::Status RedisConnection::Failed(int saved_errno) {
  broken_ = true;
  switch (context_->err) {
    case REDIS_ERR_IO:
      CountError(saved_errno == EAGAIN || saved_errno == EWOULDBLOCK ? "timeout" : "io");
      break;
    case REDIS_ERR_EOF:
      CountError("closed");
      break;
    case REDIS_ERR_PROTOCOL:
      CountError("protocol");
      break;
    default:
      CountError("io");
  }
  return absl::UnavailableError(common::StrCat("Redis: ", context_->errstr));
}

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
  if (reply == nullptr) return Failed(errno);
  RedisReplyPtr owned(reply);
  if (reply->type == REDIS_REPLY_ERROR) {
    CountError(RedisErrorCode(*reply));
    return RedisErrorStatus(*reply);
  }
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
      return Failed(errno);
    }
  }
  std::vector<RedisReplyPtr> replies;
  replies.reserve(commands.size());
  for (std::size_t i = 0; i < commands.size(); ++i) {
    void* reply = nullptr;
    if (redisGetReply(context_, &reply) != REDIS_OK || reply == nullptr) return Failed(errno);
    replies.emplace_back(static_cast<redisReply*>(reply));
    if (replies.back()->type == REDIS_REPLY_ERROR) CountError(RedisErrorCode(*replies.back()));
  }
  return replies;
}

}  // namespace im::storage
