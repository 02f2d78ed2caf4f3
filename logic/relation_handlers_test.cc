#include "logic/relation_handlers.h"

#include <gtest/gtest.h>

#include "logic/handler_test_doubles.h"

namespace im::logic {
namespace {

using Outcome = internal::RelationOutcome;

class RelationHandlersTest : public ::testing::Test {
 protected:
  RelationHandlersTest() {
    handlers_.RegisterWith(dispatcher_);
    storage_.AnswerUsers({StoredUser(2, "bob")});
    // Bob is online on a2, alice on a1 (this connection) and a3.
    storage_.Answer<internal::GetRoutesRequest, internal::GetRoutesResponse>(
        "GetRoutes", [](const internal::GetRoutesRequest& r) {
          internal::GetRoutesResponse routes;
          for (auto id : r.user_ids()) {
            auto* user = routes.add_users();
            user->set_user_id(id);
            auto add = [&](const std::string& node, std::uint64_t conn) {
              auto* route = user->add_routes();
              route->set_access_node_id(node);
              route->set_access_endpoint(node + ":7100");
              route->set_conn_id(conn);
            };
            if (id == 2) add("a2", 20);
            if (id == 1) add("a1", 10), add("a3", 30);
          }
          return routes;
        });
  }

  void StorageAnswersFriendRequest(absl::StatusOr<Outcome> outcome) {
    storage_.Answer<internal::RequestFriendRequest, internal::RelationChange>(
        "RequestFriend",
        [outcome](
            const internal::RequestFriendRequest&) -> absl::StatusOr<internal::RelationChange> {
          if (!outcome.ok()) return outcome.status();
          internal::RelationChange change;
          change.set_outcome(*outcome);
          return change;
        });
  }

  internal::HandleResponse RequestFriend(const std::string& peer, const std::string& note = "") {
    client::ClientFrame frame;
    frame.mutable_friend_request()->set_peer(peer);
    frame.mutable_friend_request()->set_note(note);
    return Ask(dispatcher_, LoggedIn(1, "alice"), std::move(frame));
  }

  LogicConfig config_;
  ScriptedStorage storage_;
  RecordedAccess access_;
  UserDirectory users_{&storage_, 100};
  PushFanout fanout_{&storage_, &access_, 1000};
  RelationHandlers handlers_{config_, &storage_, &users_, &fanout_};
  RequestDispatcher dispatcher_;
};

TEST_F(RelationHandlersTest, ARequestIsStoredForTheNamedPeerAndBothUsersOtherDevicesAreTold) {
  StorageAnswersFriendRequest(internal::REQUESTED);
  const auto answer = RequestFriend("bob", "hi, it's alice");
  EXPECT_EQ(answer.frame().status().code(), 0) << answer.frame().status().message();
  EXPECT_TRUE(answer.frame().has_friend_request());
  const auto stored = storage_.LastRequest<internal::RequestFriendRequest>("RequestFriend");
  EXPECT_EQ(stored.user_id(), 1u);
  EXPECT_EQ(stored.peer_id(), 2u);
  EXPECT_EQ(stored.note(), "hi, it's alice");

  std::set<std::string> endpoints;
  for (const auto& push : access_.pushes()) {
    endpoints.insert(push.endpoint);
    const auto& event = push.request.frame().friend_event();
    EXPECT_EQ(event.kind(), client::FriendEvent::REQUESTED);
    EXPECT_EQ(event.from_user(), "alice");
    EXPECT_EQ(event.to_user(), "bob");
    EXPECT_EQ(event.note(), "hi, it's alice");
  }
  // Bob's device and alice's other device; not the connection that asked.
  EXPECT_EQ(endpoints, (std::set<std::string>{"a2:7100", "a3:7100"}));
}

TEST_F(RelationHandlersTest, EachRefusingOutcomeIsAClearStatusAndNobodyIsTold) {
  const std::pair<Outcome, std::pair<absl::StatusCode, std::string>> cases[] = {
      {internal::ALREADY_FRIENDS,
       {absl::StatusCode::kAlreadyExists, "you are already friends with bob"}},
      {internal::BLOCKED_BY_PEER, {absl::StatusCode::kPermissionDenied, "bob has blocked you"}},
      {internal::PEER_BLOCKED,
       {absl::StatusCode::kFailedPrecondition, "you have blocked bob; unblock them first"}},
  };
  for (const auto& [outcome, expected] : cases) {
    StorageAnswersFriendRequest(outcome);
    const auto answer = RequestFriend("bob");
    EXPECT_EQ(answer.frame().status().code(), static_cast<int>(expected.first)) << outcome;
    EXPECT_EQ(answer.frame().status().message(), expected.second);
  }
  EXPECT_TRUE(access_.pushes().empty());
}

TEST_F(RelationHandlersTest, UnknownPeersAndOneselfAreRefusedBeforeAnythingIsStored) {
  StorageAnswersFriendRequest(internal::REQUESTED);
  auto answer = RequestFriend("nobody");
  EXPECT_EQ(answer.frame().status().code(), static_cast<int>(absl::StatusCode::kNotFound));
  EXPECT_EQ(answer.frame().status().message(), "no such user 'nobody'");
  answer = RequestFriend("alice");
  EXPECT_EQ(answer.frame().status().code(), static_cast<int>(absl::StatusCode::kInvalidArgument));
  answer = RequestFriend("bob", std::string(256, 'x'));
  EXPECT_EQ(answer.frame().status().code(), static_cast<int>(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(storage_.CallsTo("RequestFriend"), 0);
}

TEST_F(RelationHandlersTest, AStorageOutageReachesTheClientAsUnavailable) {
  StorageAnswersFriendRequest(absl::UnavailableError("storage unavailable"));
  const auto answer = RequestFriend("bob");
  EXPECT_EQ(answer.frame().status().code(), static_cast<int>(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(access_.pushes().empty());
}

TEST_F(RelationHandlersTest, RemovingAFriendWhoIsNoneSaysSoAndRemovingOneTellsBoth) {
  auto remove_answers = [&](Outcome outcome) {
    storage_.Answer<internal::UserPair, internal::RelationChange>(
        "RemoveFriend", [outcome](const internal::UserPair&) {
          internal::RelationChange change;
          change.set_outcome(outcome);
          return change;
        });
    client::ClientFrame frame;
    frame.mutable_friend_remove()->set_peer("bob");
    return Ask(dispatcher_, LoggedIn(1, "alice"), std::move(frame));
  };
  auto answer = remove_answers(internal::NOT_FRIENDS);
  EXPECT_EQ(answer.frame().status().message(), "bob is not your friend");
  EXPECT_TRUE(access_.pushes().empty());
  answer = remove_answers(internal::REMOVED);
  EXPECT_EQ(answer.frame().status().code(), 0);
  EXPECT_TRUE(answer.frame().has_friend_remove());
  ASSERT_EQ(access_.pushes().size(), 2u);
  EXPECT_EQ(access_.pushes()[0].request.frame().friend_event().kind(),
            client::FriendEvent::REMOVED);
}

TEST_F(RelationHandlersTest, TheFriendListJoinsFriendsBlocksAndPresence) {
  storage_.Answer<internal::UserRef, internal::ListFriendsResponse>(
      "ListFriends", [](const internal::UserRef&) {
        internal::ListFriendsResponse friends;
        auto* bob = friends.add_friends();
        bob->set_user_id(2);
        bob->set_username("bob");
        auto* carol = friends.add_friends();
        carol->set_user_id(3);
        carol->set_username("carol");
        return friends;
      });
  storage_.Answer<internal::UserRef, internal::ListBlockedResponse>(
      "ListBlocked", [](const internal::UserRef&) {
        internal::ListBlockedResponse blocked;
        blocked.add_users()->set_user_id(3);
        return blocked;
      });
  client::ClientFrame frame;
  frame.mutable_friend_list();
  const auto answer = Ask(dispatcher_, LoggedIn(1, "alice"), std::move(frame));
  ASSERT_EQ(answer.frame().status().code(), 0) << answer.frame().status().message();
  const auto& list = answer.frame().friend_list();
  ASSERT_EQ(list.friends_size(), 2);
  EXPECT_TRUE(list.friends(0).online());
  EXPECT_FALSE(list.friends(0).blocked());
  EXPECT_FALSE(list.friends(1).online());
  EXPECT_TRUE(list.friends(1).blocked());
}

}  // namespace
}  // namespace im::logic
