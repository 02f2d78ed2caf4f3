#include "storage/message_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "storage/direct_conversation.h"
#include "storage/mysql_connection.h"
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
  std::vector<std::string> failures;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto r = messages_.AppendDirect(t % 2 ? a : b, t % 2 ? b : a,
                                        "c" + std::to_string(t) + "-" + std::to_string(i), "x");
        std::lock_guard lock(mutex);
        if (r.ok()) {
          seqs.insert(r->seq());
        } else {
          failures.push_back(r.status().ToString());
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_THAT(failures, testing::IsEmpty());
  // The racing creators made one conversation, with both member rows.
  auto lease = GetStorageTestEnv().mysql_pool->Acquire();
  ASSERT_TRUE(lease.ok());
  auto members = (*lease)->Execute(
      "SELECT COUNT(*) FROM conversation_members cm JOIN conversations c ON c.conv_id = cm.conv_id"
      " WHERE c.peer_key = ?",
      {DirectPeerKey(a, b)});
  ASSERT_TRUE(members.ok()) << members.status();
  EXPECT_EQ(members->rows[0].I64(0), 2);
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

TEST_F(MessageStoreTest, ABatchAnswersEachAppendOnItsOwnAndKeepsBatchOrder) {
  const auto a = NewUser("mstore_a5"), b = NewUser("mstore_b5"), c = NewUser("mstore_c5");
  ASSERT_TRUE(messages_.AppendDirect(a, b, "old-id", "earlier").ok());  // seq 1
  auto make = [](std::uint64_t from, std::uint64_t to, std::string id, std::string body) {
    Append append;
    append.sender_id = from;
    append.recipient_id = to;
    append.client_msg_id = std::move(id);
    append.body = std::move(body);
    return append;
  };
  std::vector<Append> batch;
  batch.push_back(make(a, b, "n1", "first"));         // seq 2
  batch.push_back(make(b, a, "n2", "second"));        // seq 3, same conversation
  batch.push_back(make(a, b, "n1", "first"));         // a resend within the batch
  batch.push_back(make(a, b, "n1", "not the same"));  // the id reused for other content
  batch.push_back(make(a, b, "old-id", "earlier"));   // a resend of a stored message
  batch.push_back(make(a, c, "n3", "elsewhere"));     // a new conversation, seq 1
  Append refused = make(a, c, "n4", "stale permission");
  refused.precondition = RelationPrecondition{12345, 67890};  // not the stored versions
  batch.push_back(refused);
  Append no_group;
  no_group.sender_id = a;
  no_group.group_id = 999999999;
  no_group.body = "to a group that does not exist";
  batch.push_back(no_group);
  batch.push_back(make(a, b, "n5", "third"));  // seq 4, after the refusals

  ASSERT_TRUE(messages_.AppendMany(batch).ok());
  ASSERT_TRUE(batch[0].result.ok()) << batch[0].result.status();
  EXPECT_EQ(batch[0].result->seq(), 2u);
  EXPECT_EQ(batch[1].result->seq(), 3u);
  EXPECT_EQ(batch[1].result->conv_id(), batch[0].result->conv_id());
  ASSERT_TRUE(batch[2].result.ok());
  EXPECT_TRUE(batch[2].result->duplicate());
  EXPECT_EQ(batch[2].result->msg_id(), batch[0].result->msg_id());
  EXPECT_EQ(batch[3].result.status().code(), absl::StatusCode::kAlreadyExists);
  ASSERT_TRUE(batch[4].result.ok());
  EXPECT_TRUE(batch[4].result->duplicate());
  EXPECT_EQ(batch[4].result->seq(), 1u);
  ASSERT_TRUE(batch[5].result.ok());
  EXPECT_EQ(batch[5].result->seq(), 1u);
  EXPECT_NE(batch[5].result->conv_id(), batch[0].result->conv_id());
  EXPECT_EQ(batch[6].result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(batch[7].result.status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(batch[8].result.ok());
  EXPECT_EQ(batch[8].result->seq(), 4u);
  std::set<std::uint64_t> ids;
  for (int i : {0, 1, 5, 8}) ids.insert(batch[i].result->msg_id());
  EXPECT_EQ(ids.size(), 4u);  // each stored message has its own id
  // The next append continues the sequence: nothing was taken by a refusal.
  auto next = messages_.AppendDirect(b, a, "", "fourth");
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->seq(), 5u);
}

}  // namespace
}  // namespace im::storage
