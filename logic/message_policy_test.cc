#include "logic/message_policy.h"

#include <gtest/gtest.h>

namespace im::logic {
namespace {

internal::Relation Facts(bool friends, bool i_blocked, bool they_blocked, int policy) {
  internal::Relation r;
  r.set_friends(friends);
  r.set_user_blocked_peer(i_blocked);
  r.set_peer_blocked_user(they_blocked);
  r.set_peer_message_policy(policy);
  return r;
}

constexpr auto kEveryone = client::MESSAGE_POLICY_EVERYONE;
constexpr auto kFriends = client::MESSAGE_POLICY_FRIENDS;
constexpr int kUnset = client::MESSAGE_POLICY_UNSET;

TEST(MessagePolicyTest, StrangersMayWriteUnderEveryoneButNotFriendsOnly) {
  EXPECT_TRUE(MaySendDirect(Facts(false, false, false, kEveryone), kFriends, "bob").ok());
  absl::Status refused = MaySendDirect(Facts(false, false, false, kFriends), kEveryone, "bob");
  EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(refused.message(), "bob accepts messages from friends only");
  EXPECT_TRUE(MaySendDirect(Facts(true, false, false, kFriends), kEveryone, "bob").ok());
}

TEST(MessagePolicyTest, UnsetPolicyFollowsTheServerDefault) {
  EXPECT_TRUE(MaySendDirect(Facts(false, false, false, kUnset), kEveryone, "bob").ok());
  EXPECT_FALSE(MaySendDirect(Facts(false, false, false, kUnset), kFriends, "bob").ok());
  EXPECT_EQ(EffectivePolicy(kUnset, kFriends), kFriends);
  EXPECT_EQ(EffectivePolicy(99, kEveryone), kEveryone);  // unknown stored value
  EXPECT_EQ(EffectivePolicy(kFriends, kEveryone), kFriends);
}

TEST(MessagePolicyTest, BlocksWinOverFriendshipAndPolicyInBothDirections) {
  absl::Status blocked_by_peer =
      MaySendDirect(Facts(true, false, true, kEveryone), kEveryone, "bob");
  EXPECT_EQ(blocked_by_peer.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(blocked_by_peer.message(), "bob has blocked you");
  absl::Status i_blocked = MaySendDirect(Facts(true, true, false, kEveryone), kEveryone, "bob");
  EXPECT_EQ(i_blocked.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(MaySendDirect(Facts(true, true, true, kEveryone), kEveryone, "bob").message(),
            "bob has blocked you");
}

TEST(MessagePolicyTest, ParsesPolicyNames) {
  client::MessagePolicy p;
  ASSERT_TRUE(ParseMessagePolicy("friends", &p));
  EXPECT_EQ(p, kFriends);
  ASSERT_TRUE(ParseMessagePolicy("everyone", &p));
  EXPECT_EQ(p, kEveryone);
  EXPECT_FALSE(ParseMessagePolicy("nobody", &p));
}

}  // namespace
}  // namespace im::logic
