#include "storage/group_committer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <latch>
#include <mutex>
#include <utility>
#include <vector>

namespace im::storage {
namespace {

TEST(GroupCommitterTest, EveryItemIsCommittedOnceAndItemsQueuedMeanwhileShareABatch) {
  std::mutex mutex;
  std::vector<std::size_t> batch_sizes;
  std::vector<int> committed;
  std::latch first_started(1), release_first(1);
  bool first = true;
  {
    GroupCommitter<int> committer(1, 50, 1000, [&](std::vector<int>& batch) {
      bool was_first;
      {
        std::lock_guard lock(mutex);
        was_first = std::exchange(first, false);
      }
      if (was_first) {  // hold the only committer while 99 more items queue up
        first_started.count_down();
        release_first.wait();
      }
      std::lock_guard lock(mutex);
      batch_sizes.push_back(batch.size());
      committed.insert(committed.end(), batch.begin(), batch.end());
    });
    int item = 0;
    ASSERT_TRUE(committer.Submit(item));
    first_started.wait();
    for (int i = 1; i < 100; ++i) {
      item = i;
      ASSERT_TRUE(committer.Submit(item));
    }
    release_first.count_down();
  }  // the destructor commits what is queued
  std::sort(committed.begin(), committed.end());
  ASSERT_EQ(committed.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(committed[i], i);
  // 1 alone, then 99 in batches of at most 50.
  EXPECT_EQ(batch_sizes, (std::vector<std::size_t>{1, 50, 49}));
}

TEST(GroupCommitterTest, RefusesPastTheQueueBound) {
  std::latch started(1), release(1);
  std::atomic<bool> once{false};
  GroupCommitter<int> committer(1, 10, 2, [&](std::vector<int>&) {
    if (!once.exchange(true)) started.count_down();
    release.wait();
  });
  int item = 1;
  ASSERT_TRUE(committer.Submit(item));
  started.wait();  // the committer holds item 1; two more fit in the queue
  EXPECT_TRUE(committer.Submit(item));
  EXPECT_TRUE(committer.Submit(item));
  EXPECT_FALSE(committer.Submit(item));
  release.count_down();
}

}  // namespace
}  // namespace im::storage
