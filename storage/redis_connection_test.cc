#include "storage/redis_connection.h"

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <string>

#include "storage/storage_test_env.h"
#include "tests/support/database_servers.h"
#include "tests/support/test_env.h"

namespace im::storage {
namespace {

// An error reply with `text` (which must outlive it).
redisReply ErrorReply(std::string& text) {
  redisReply reply{};
  reply.type = REDIS_REPLY_ERROR;
  reply.str = text.data();
  reply.len = text.size();
  return reply;
}

absl::Status StatusOfErrorReply(std::string text) { return RedisErrorStatus(ErrorReply(text)); }

TEST(RedisErrorStatusTest, ErrorsThatPassByThemselvesAreUnavailable) {
  for (const char* text :
       {"LOADING Redis is loading the dataset in memory", "BUSY Redis is busy running a script.",
        "MASTERDOWN Link with MASTER is down", "TRYAGAIN Multiple keys request",
        "READONLY You can't write against a read only replica."}) {
    const absl::Status status = StatusOfErrorReply(text);
    EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << text;
    EXPECT_EQ(status.message(), std::string("Redis: ") + text);
  }
}

TEST(RedisErrorStatusTest, OtherErrorsAreInternal) {
  EXPECT_EQ(StatusOfErrorReply("ERR unknown command 'X'").code(), absl::StatusCode::kInternal);
  EXPECT_EQ(StatusOfErrorReply("LOADINGX").code(), absl::StatusCode::kInternal);
  // And from a real server.
  auto conn = GetStorageTestEnv().redis_pool->Acquire();
  ASSERT_TRUE(conn.ok());
  auto reply = (*conn)->Command({"NO-SUCH-COMMAND"});
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kInternal);
  EXPECT_FALSE((*conn)->broken());
}

std::string CodeOfErrorReply(std::string text) { return RedisErrorCode(ErrorReply(text)); }

TEST(RedisConnectionTest, APasswordIsSentWithAuthAndAWrongOneRefused) {
  testing::RedisServer redis("s3cret-pw");
  redis.Start();
  RedisOptions options;
  options.port = redis.port();

  auto anonymous = RedisConnection::Connect(options);
  ASSERT_TRUE(anonymous.ok()) << "connecting needs no password, commands do";
  auto refused = (*anonymous)->Command({"PING"});
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(std::string(refused.status().message()).find("NOAUTH"), std::string::npos)
      << refused.status();

  options.password = "wrong";
  auto wrong = RedisConnection::Connect(options);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(std::string(wrong.status().message()).find("refused the password"), std::string::npos)
      << wrong.status();

  options.password = "s3cret-pw";
  auto right = RedisConnection::Connect(options);
  ASSERT_TRUE(right.ok()) << right.status();
  auto pong = (*right)->Command({"PING"});
  ASSERT_TRUE(pong.ok()) << pong.status();
}

TEST(RedisErrorCodeTest, IsTheFirstUpperCaseWord) {
  EXPECT_EQ(CodeOfErrorReply("LOADING Redis is loading the dataset in memory"), "LOADING");
  EXPECT_EQ(CodeOfErrorReply("WRONGTYPE Operation against a key"), "WRONGTYPE");
  EXPECT_EQ(CodeOfErrorReply("ERR"), "ERR");
  EXPECT_EQ(CodeOfErrorReply("unknown error"), "other");
  EXPECT_EQ(CodeOfErrorReply(""), "other");
  EXPECT_EQ(CodeOfErrorReply(std::string(40, 'A')), "other");
}

bool Counted(const common::Metrics& metrics, const std::string& kind, int n) {
  return metrics.Render().find("im_storage_redis_errors_total{kind=\"" + kind + "\"} " +
                               std::to_string(n) + "\n") != std::string::npos;
}

TEST(RedisErrorMetricsTest, CountsEachFailureByKind) {
  common::Metrics metrics;
  RedisOptions options = GetStorageTestEnv().redis;
  options.metrics = &metrics;
  options.timeout_ms = 200;
  auto conn = RedisConnection::Connect(options);
  ASSERT_TRUE(conn.ok()) << conn.status();

  EXPECT_FALSE((*conn)->Command({"NO-SUCH-COMMAND"}).ok());
  ASSERT_TRUE((*conn)->Command({"SET", "im-test-metrics-string", "x"}).ok());
  auto replies = (*conn)->Pipeline({{"LPUSH", "im-test-metrics-string", "y"}, {"PING"}});
  ASSERT_TRUE(replies.ok()) << replies.status();  // the error is the first reply's
  EXPECT_TRUE(Counted(metrics, "ERR", 1)) << metrics.Render();
  EXPECT_TRUE(Counted(metrics, "WRONGTYPE", 1)) << metrics.Render();

  // BLPOP blocks for a second, longer than the 200 ms timeout.
  EXPECT_EQ((*conn)->Command({"BLPOP", "im-test-metrics-empty", "1"}).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_TRUE((*conn)->broken());
  EXPECT_TRUE(Counted(metrics, "timeout", 1)) << metrics.Render();

  RedisOptions nobody = options;
  nobody.port = testing::PickFreePort();
  EXPECT_FALSE(RedisConnection::Connect(nobody).ok());
  EXPECT_TRUE(Counted(metrics, "connect", 1)) << metrics.Render();
}

}  // namespace
}  // namespace im::storage
