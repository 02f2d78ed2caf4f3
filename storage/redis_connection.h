#pragma once
// One synchronous Redis connection (hiredis) with timeouts. Commands are sent
// as argument vectors, so values are binary-safe and never parsed as syntax.
// Not thread-safe: one user at a time (ConnectionPool hands it out). An I/O or
// protocol error makes broken() true and returns UNAVAILABLE.
// With RedisOptions::metrics, every failure is counted in
// im_storage_redis_errors_total by kind: connect, timeout, closed (the server
// hung up), protocol, io (other socket errors), or an error reply's code
// (ERR, WRONGTYPE, LOADING, READONLY, ...; error replies within a Pipeline
// included).

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/metrics.h"

struct redisContext;
struct redisReply;

namespace im::storage {

struct RedisOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  int timeout_ms = 2000;
  std::string password;                // sent with AUTH on connect when not empty
  common::Metrics* metrics = nullptr;  // counts errors; outlives the connections
};

struct RedisReplyDeleter {
  void operator()(redisReply* reply) const;
};
using RedisReplyPtr = std::unique_ptr<redisReply, RedisReplyDeleter>;

// The status for an error reply: UNAVAILABLE for the ones that pass by
// themselves (LOADING a dataset after a restart, BUSY running a script,
// MASTERDOWN, TRYAGAIN, READONLY during a failover), so callers retry or
// answer "try again"; INTERNAL for the rest (a failing script, a bug).
absl::Status RedisErrorStatus(const redisReply& reply);
// An error reply's code, its first word ("LOADING", "ERR", ...); "other" if
// that is not an upper-case word (a metric label, so its values stay few).
std::string RedisErrorCode(const redisReply& reply);

class RedisConnection {
 public:
  static absl::StatusOr<std::unique_ptr<RedisConnection>> Connect(const RedisOptions& options);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Runs one command. An error reply is RedisErrorStatus(reply).
  absl::StatusOr<RedisReplyPtr> Command(const std::vector<std::string_view>& args);
  // Sends every command, then reads every reply, in one round trip. Replies
  // come back in order, error replies included (the caller checks types and
  // maps errors with RedisErrorStatus).
  absl::StatusOr<std::vector<RedisReplyPtr>> Pipeline(
      const std::vector<std::vector<std::string>>& commands);

  bool broken() const { return broken_; }
  // The server's run_id (INFO server) when this connection was made: it
  // changes whenever Redis restarts or fails over, so caches can tell a
  // server that may have lost recent writes. Empty if INFO is not allowed.
  const std::string& server_run_id() const { return server_run_id_; }

 private:
  RedisConnection(redisContext* context, common::Metrics* metrics)
      : context_(context), metrics_(metrics) {}
  // Marks the connection broken and counts the failure of the call just made.
  absl::Status Failed(int saved_errno);
  void CountError(const std::string& kind) const;

  redisContext* context_;
  common::Metrics* metrics_;
  std::string server_run_id_;
  bool broken_ = false;
};

}  // namespace im::storage
