#include "common/work_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <stdexcept>

#include "common/run_catching.h"

namespace im::common {
namespace {

TEST(WorkPoolTest, RunsEveryJobBeforeDestruction) {
  std::atomic<int> ran{0};
  {
    WorkPool pool(3, 1000);
    for (int i = 0; i < 500; ++i) ASSERT_TRUE(pool.Submit([&] { ++ran; }));
  }
  EXPECT_EQ(ran.load(), 500);
}

TEST(WorkPoolTest, RefusesWorkPastTheQueueLimit) {
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::promise<void> started;
  // Declared after what its job uses, so it is destroyed (its thread
  // joined) first: the job may still be in gate.wait() at the end.
  WorkPool pool(1, 2);
  ASSERT_TRUE(pool.Submit([&] {
    started.set_value();
    gate.wait();
  }));
  started.get_future().wait();  // the only thread is busy; the queue is empty
  EXPECT_TRUE(pool.Submit([] {}));
  EXPECT_TRUE(pool.Submit([] {}));
  EXPECT_FALSE(pool.Submit([] {}));
  release.set_value();
}

TEST(WorkPoolTest, AJobThatThrowsLeavesThePoolRunning) {
  std::atomic<int> ran{0};
  {
    WorkPool pool(1, 10);
    ASSERT_TRUE(pool.Submit([] { throw std::runtime_error("a bug"); }));
    ASSERT_TRUE(pool.Submit([&] { ++ran; }));
  }
  EXPECT_EQ(ran.load(), 1);
}

TEST(RunCatchingTest, AnExceptionBecomesInternalNamingWhereAndWhat) {
  const absl::Status thrown = RunCatching("storage", []() -> absl::Status {
    throw std::out_of_range("vector::_M_range_check");
  });
  EXPECT_EQ(thrown.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(thrown.message(), "storage failed: vector::_M_range_check");
  EXPECT_EQ(RunCatching("storage", [] { return absl::NotFoundError("x"); }).code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace im::common
