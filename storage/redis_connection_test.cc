#include "storage/redis_connection.h"

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <string>

#include "storage/storage_test_env.h"

namespace im::storage {
namespace {

absl::Status StatusOfErrorReply(std::string text) {
  redisReply reply{};
  reply.type = REDIS_REPLY_ERROR;
  reply.str = text.data();
  reply.len = text.size();
  return RedisErrorStatus(reply);
}

TEST(RedisErrorStatusTest, ErrorsThatPassByThemselvesAreUnavailable) {
  for (const char* text : {"LOADING Redis is loading the dataset in memory",
                           "BUSY Redis is busy running a script.",
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

}  // namespace
}  // namespace im::storage
