#include "common/work_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

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

}  // namespace
}  // namespace im::common
