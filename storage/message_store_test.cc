#include "storage/message_store.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "storage/storage_test_env.h"

namespace im::storage {
namespace {

class MessageStoreTest : public ::testing::Test {
 protected:
  static std::uint64_t NewUser(const std::string& prefix) { return NewTestUser(prefix); }

  UserStore users_{GetStorageTestEnv().mysql_pool.get()};
  MessageStore messages_{GetStorageTestEnv().mysql_pool.get()};
};

TEST_F(MessageStoreTest, SeqStartsAtOneAndGrowsPerConversationForBothDirections) {
  const auto a = NewUser("mstore_a1"), b = NewUser("mstore_b1"), c = NewUser("mstore_c1");
  auto m1 = messages_.AppendDirect(a, b, "", "hi");
  auto m2 = messages_.AppendDirect(b, a, "", "hello");
  auto m3 = messages_.AppendDirect(a, c, "", "other conversation");
  ASSERT_TRUE(m1.ok() && m2.ok() && m3.ok());
  EXPECT_EQ(m1->seq(), 1u);
  EXPECT_EQ(m2->seq(), 2u);
  EXPECT_EQ(m1->conv_id(), m2->conv_id());
  EXPECT_NE(m3->conv_id(), m1->conv_id());
  EXPECT_EQ(m3->seq(), 1u);
  EXPECT_NE(m1->msg_id(), m2->msg_id());
  EXPECT_FALSE(m1->duplicate());
}

TEST_F(MessageStoreTest, ResendWithSameClientIdReturnsTheOriginal) {
  const auto a = NewUser("mstore_a2"), b = NewUser("mstore_b2");
  auto first = messages_.AppendDirect(a, b, "client-1", "once");
  auto again = messages_.AppendDirect(a, b, "client-1", "once");
  auto next = messages_.AppendDirect(a, b, "client-2", "twice");
  ASSERT_TRUE(first.ok() && again.ok() && next.ok());
  EXPECT_EQ(again->msg_id(), first->msg_id());
  EXPECT_EQ(again->seq(), first->seq());
  EXPECT_TRUE(again->duplicate());
  EXPECT_EQ(next->seq(), first->seq() + 1);
}

TEST_F(MessageStoreTest, ConcurrentSendersGetGaplessDistinctSeqs) {
  const auto a = NewUser("mstore_a3"), b = NewUser("mstore_b3");
  constexpr int kThreads = 6, kPerThread = 25;
  std::vector<std::thread> threads;
  std::mutex mutex;
  std::set<std::uint64_t> seqs;
  int failures = 0;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto r = messages_.AppendDirect(t % 2 ? a : b, t % 2 ? b : a,
                                        "c" + std::to_string(t) + "-" + std::to_string(i), "x");
        std::lock_guard lock(mutex);
        if (r.ok()) {
          seqs.insert(r->seq());
        } else {
          ++failures;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  ASSERT_EQ(seqs.size(), static_cast<std::size_t>(kThreads * kPerThread));
  EXPECT_EQ(*seqs.begin(), 1u);
  EXPECT_EQ(*seqs.rbegin(), static_cast<std::uint64_t>(kThreads * kPerThread));
}

TEST_F(MessageStoreTest, ConcurrentResendsOfOneClientIdStoreOneMessage) {
  const auto a = NewUser("mstore_a4"), b = NewUser("mstore_b4");
  std::vector<std::thread> threads;
  std::mutex mutex;
  std::set<std::uint64_t> ids;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      auto r = messages_.AppendDirect(a, b, "same-id", "x");
      ASSERT_TRUE(r.ok()) << r.status();
      std::lock_guard lock(mutex);
      ids.insert(r->msg_id());
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ids.size(), 1u);
  auto next = messages_.AppendDirect(a, b, "other-id", "y");
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->seq(), 2u);
}

}  // namespace
}  // namespace im::storage
