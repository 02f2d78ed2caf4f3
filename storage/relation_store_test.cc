#include "storage/relation_store.h"

#include <gtest/gtest.h>

#include <thread>

#include "storage/message_store.h"
#include "storage/storage_test_env.h"

namespace im::storage {
namespace {

using internal::RelationOutcome;

class RelationStoreTest : public ::testing::Test {
 protected:
  static std::uint64_t NewUser(const std::string& prefix) { return NewTestUser(prefix); }
  RelationOutcome Outcome(absl::StatusOr<RelationOutcome> r) {
    EXPECT_TRUE(r.ok()) << r.status();
    return r.value_or(internal::OUTCOME_UNSET);
  }
  std::size_t FriendCount(std::uint64_t user) {
    return relations_.ListFriends(user)->friends_size();
  }

  UserStore users_{GetStorageTestEnv().mysql_pool.get()};
  RelationStore relations_{GetStorageTestEnv().mysql_pool.get()};
  MessageStore messages_{GetStorageTestEnv().mysql_pool.get()};
};

TEST_F(RelationStoreTest, RequestAcceptAndIdempotentRepeats) {
  const auto a = NewUser("rel_a"), b = NewUser("rel_b");
  EXPECT_EQ(Outcome(relations_.RequestFriend(a, b, "hi")), internal::REQUESTED);
  EXPECT_EQ(Outcome(relations_.RequestFriend(a, b, "again")), internal::ALREADY_PENDING);
  auto pending = relations_.ListRequests(b);
  ASSERT_EQ(pending->incoming_size(), 1);
  EXPECT_EQ(pending->incoming(0).note(), "hi");
  EXPECT_EQ(relations_.ListRequests(a)->outgoing_size(), 1);

  EXPECT_EQ(Outcome(relations_.RespondFriend(b, a, true)), internal::ACCEPTED);
  EXPECT_EQ(Outcome(relations_.RespondFriend(b, a, true)), internal::ALREADY_FRIENDS);
  EXPECT_EQ(FriendCount(a), 1u);
  EXPECT_EQ(FriendCount(b), 1u);
  EXPECT_EQ(Outcome(relations_.RequestFriend(a, b, "")), internal::ALREADY_FRIENDS);
  EXPECT_EQ(relations_.ListRequests(b)->incoming_size(), 0);
}

TEST_F(RelationStoreTest, DeclinedOrWithdrawnRequestsCannotBeAccepted) {
  const auto a = NewUser("rel_a"), b = NewUser("rel_b"), c = NewUser("rel_c");
  ASSERT_EQ(Outcome(relations_.RequestFriend(a, b, "")), internal::REQUESTED);
  EXPECT_EQ(Outcome(relations_.RespondFriend(b, a, false)), internal::DECLINED);
  EXPECT_EQ(Outcome(relations_.RespondFriend(b, a, false)), internal::ALREADY_DECLINED);
  EXPECT_EQ(Outcome(relations_.RespondFriend(b, a, true)), internal::ALREADY_DECLINED);

  ASSERT_EQ(Outcome(relations_.RequestFriend(a, c, "")), internal::REQUESTED);
  EXPECT_EQ(Outcome(relations_.CancelRequest(a, c)), internal::CANCELLED);
  EXPECT_EQ(Outcome(relations_.RespondFriend(c, a, true)), internal::REQUEST_WITHDRAWN);
  EXPECT_EQ(Outcome(relations_.CancelRequest(a, c)), internal::NO_REQUEST);
  EXPECT_EQ(Outcome(relations_.RespondFriend(a, c, true)), internal::NO_REQUEST);
  EXPECT_EQ(FriendCount(a), 0u);
  // A new request after a decline is a fresh, pending request.
  EXPECT_EQ(Outcome(relations_.RequestFriend(a, b, "please")), internal::REQUESTED);
}

TEST_F(RelationStoreTest, ConcurrentMutualRequestsMakeOneFriendship) {
  for (int round = 0; round < 10; ++round) {
    const auto a = NewUser("mut_a"), b = NewUser("mut_b");
    RelationOutcome from_a{}, from_b{};
    std::thread t1([&] { from_a = Outcome(relations_.RequestFriend(a, b, "")); });
    std::thread t2([&] { from_b = Outcome(relations_.RequestFriend(b, a, "")); });
    t1.join();
    t2.join();
    // One of them made the request, the other met it.
    EXPECT_TRUE((from_a == internal::REQUESTED && from_b == internal::BECAME_FRIENDS) ||
                (from_b == internal::REQUESTED && from_a == internal::BECAME_FRIENDS))
        << from_a << " " << from_b;
    EXPECT_EQ(FriendCount(a), 1u);
    EXPECT_EQ(FriendCount(b), 1u);
    EXPECT_EQ(relations_.ListRequests(a)->incoming_size(), 0);
    EXPECT_EQ(relations_.ListRequests(b)->incoming_size(), 0);
  }
}

TEST_F(RelationStoreTest, RemoveEndsTheFriendshipForBothSides) {
  const auto a = NewUser("rel_a"), b = NewUser("rel_b");
  relations_.RequestFriend(a, b, "").IgnoreError();
  relations_.RespondFriend(b, a, true).IgnoreError();
  EXPECT_EQ(Outcome(relations_.RemoveFriend(b, a)), internal::REMOVED);
  EXPECT_EQ(FriendCount(a), 0u);
  EXPECT_EQ(FriendCount(b), 0u);
  EXPECT_EQ(Outcome(relations_.RemoveFriend(a, b)), internal::NOT_FRIENDS);
}

TEST_F(RelationStoreTest, BlocksRefuseRequestsKeepFriendshipsAndBumpVersions) {
  const auto a = NewUser("blk_a"), b = NewUser("blk_b");
  relations_.RequestFriend(a, b, "").IgnoreError();
  relations_.RespondFriend(b, a, true).IgnoreError();
  auto before = relations_.GetRelation(a, b);
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_TRUE(before->friends());
  EXPECT_FALSE(before->peer_blocked_user());

  EXPECT_EQ(Outcome(relations_.SetBlock(b, a, true)), internal::BLOCKED);
  EXPECT_EQ(Outcome(relations_.SetBlock(b, a, true)), internal::UNCHANGED);
  auto after = relations_.GetRelation(a, b);
  EXPECT_TRUE(after->peer_blocked_user());
  EXPECT_TRUE(after->friends());  // the documented rule: a block keeps the friendship
  EXPECT_GT(after->user_version(), before->user_version());
  EXPECT_GT(after->peer_version(), before->peer_version());
  EXPECT_TRUE(relations_.GetRelation(b, a)->user_blocked_peer());
  ASSERT_EQ(relations_.ListBlocked(b)->users_size(), 1);

  const auto c = NewUser("blk_c");
  ASSERT_EQ(Outcome(relations_.SetBlock(b, c, true)), internal::BLOCKED);
  EXPECT_EQ(Outcome(relations_.RequestFriend(c, b, "")), internal::BLOCKED_BY_PEER);
  EXPECT_EQ(Outcome(relations_.RequestFriend(b, c, "")), internal::PEER_BLOCKED);
  EXPECT_EQ(Outcome(relations_.SetBlock(b, c, false)), internal::UNBLOCKED);
  EXPECT_EQ(Outcome(relations_.RequestFriend(c, b, "")), internal::REQUESTED);
}

TEST_F(RelationStoreTest, PolicyIsStoredAndMissingUsersAreNotFound) {
  const auto a = NewUser("pol_a"), b = NewUser("pol_b");
  EXPECT_EQ(relations_.GetRelation(a, b)->peer_message_policy(), 0);
  ASSERT_TRUE(relations_.SetMessagePolicy(b, 2).ok());
  EXPECT_EQ(relations_.GetRelation(a, b)->peer_message_policy(), 2);
  EXPECT_EQ(relations_.GetRelation(a, 99999999).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(relations_.RequestFriend(a, 99999999, "").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(relations_.RequestFriend(a, a, "").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(RelationStoreTest, AppendOnStaleRelationVersionsStoresNothing) {
  const auto a = NewUser("ver_a"), b = NewUser("ver_b");
  auto relation = relations_.GetRelation(a, b);
  ASSERT_TRUE(relation.ok());
  const RelationPrecondition permitted{relation->user_version(), relation->peer_version()};
  auto first = messages_.AppendDirect(a, b, "v1", "allowed", permitted);
  ASSERT_TRUE(first.ok()) << first.status();

  ASSERT_EQ(Outcome(relations_.SetBlock(b, a, true)), internal::BLOCKED);
  auto stale = messages_.AppendDirect(a, b, "v2", "decided before the block", permitted);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kFailedPrecondition);
  // A resend of what was stored before the block still returns the original.
  auto resend = messages_.AppendDirect(a, b, "v1", "allowed", permitted);
  ASSERT_TRUE(resend.ok());
  EXPECT_EQ(resend->msg_id(), first->msg_id());
  // Nothing after seq 1 was stored.
  auto next = messages_.AppendDirect(a, b, "v3", "unchecked");
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->seq(), 2u);
}

}  // namespace
}  // namespace im::storage
