#include "logic/hash_work.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "common/client_status.h"

namespace im::logic {
namespace {

using std::chrono::milliseconds;

// Waits for a hash worker's turn and records how it went and where it ran.
HandlerTask TakeTurn(common::WorkPool* pool, milliseconds max_wait,
                     std::promise<std::pair<absl::Status, std::thread::id>>* outcome) {
  auto turn = co_await HashWorkerTurn(pool, max_wait);
  outcome->set_value({turn.status(), std::this_thread::get_id()});
}

TEST(HashWorkTest, ATurnContinuesTheCoroutineOnAWorker) {
  common::WorkPool pool(1, 4);
  std::promise<std::pair<absl::Status, std::thread::id>> outcome;
  auto result = outcome.get_future();
  TakeTurn(&pool, milliseconds(1000), &outcome);
  auto [status, thread] = result.get();
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_NE(thread, std::this_thread::get_id());
}

TEST(HashWorkTest, ATurnThatWaitedTooLongIsBusyWithARetryAfter) {
  common::WorkPool pool(1, 4);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  ASSERT_TRUE(pool.Submit([released] { released.wait(); }));  // the only worker is taken
  std::promise<std::pair<absl::Status, std::thread::id>> outcome;
  auto result = outcome.get_future();
  TakeTurn(&pool, milliseconds(20), &outcome);
  std::this_thread::sleep_for(milliseconds(100));
  release.set_value();
  auto [status, thread] = result.get();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_TRUE(common::RetryAfter(status).has_value());
}

TEST(HashWorkTest, AFullQueueIsBusyAtOnce) {
  common::WorkPool pool(1, 1);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  ASSERT_TRUE(pool.Submit([released] { released.wait(); }));
  std::this_thread::sleep_for(milliseconds(50));  // the worker has taken it
  ASSERT_TRUE(pool.Submit([] {}));                // the queue is full
  std::promise<std::pair<absl::Status, std::thread::id>> outcome;
  auto result = outcome.get_future();
  TakeTurn(&pool, milliseconds(1000), &outcome);
  ASSERT_EQ(result.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  auto [status, thread] = result.get();
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
  EXPECT_EQ(thread, std::this_thread::get_id());
  release.set_value();
}

}  // namespace
}  // namespace im::logic
