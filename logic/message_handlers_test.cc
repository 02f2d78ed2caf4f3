#include "logic/message_handlers.h"

#include <gtest/gtest.h>

#include "logic/handler_test_doubles.h"

namespace im::logic {
namespace {

internal::Relation Strangers(std::uint64_t version = 1) {
  internal::Relation relation;
  relation.set_peer_message_policy(client::MESSAGE_POLICY_EVERYONE);
  relation.set_user_version(version);
  relation.set_peer_version(version);
  return relation;
}

class MessageHandlersTest : public ::testing::Test {
 protected:
  MessageHandlersTest() {
    handlers_.RegisterWith(dispatcher_);
    storage_.AnswerUsers({StoredUser(2, "bob")});
    RelationIs(Strangers());
    // Stored as seq 5; bob is online on a2, alice on a1 (the sender) and a3.
    storage_.Answer<internal::AppendMessageRequest, internal::AppendMessageResponse>(
        "AppendMessage", [](const internal::AppendMessageRequest&) {
          internal::AppendMessageResponse stored;
          stored.set_msg_id(100);
          stored.set_conv_id(9);
          stored.set_seq(5);
          for (auto [user, node, conn] : {std::tuple{2, "a2", 20}, {1, "a1", 10}, {1, "a3", 30}}) {
            auto* routes = stored.mutable_routes()->add_users();
            routes->set_user_id(user);
            auto* route = routes->add_routes();
            route->set_access_node_id(node);
            route->set_access_endpoint(std::string(node) + ":7100");
            route->set_conn_id(conn);
          }
          return stored;
        });
  }

  void RelationIs(internal::Relation relation) {
    storage_.Answer<internal::UserPair, internal::Relation>(
        "GetRelation", [relation](const internal::UserPair&) { return relation; });
  }

  internal::HandleResponse Send(const std::string& to, const std::string& text,
                                const std::string& client_msg_id = "c1") {
    client::ClientFrame frame;
    frame.mutable_send_message()->set_to_user(to);
    frame.mutable_send_message()->set_text(text);
    frame.mutable_send_message()->set_client_msg_id(client_msg_id);
    return Ask(dispatcher_, LoggedIn(1, "alice"), std::move(frame));
  }

  static int Code(const internal::HandleResponse& r) { return r.frame().status().code(); }

  LogicConfig config_;
  ScriptedStorage storage_;
  RecordedAccess access_;
  UserDirectory users_{&storage_, 100};
  RelationCache relations_{100};
  PushFanout fanout_{&storage_, &access_, 1000};
  SendFilterHolder filter_;
  MessageHandlers handlers_{config_, &storage_, &users_, &relations_, &fanout_,
                           SendScreens{.filter = &filter_}};
  RequestDispatcher dispatcher_;
};

TEST_F(MessageHandlersTest, AStoredMessageIsAckedAndPushedToTheOtherDevicesOfBothWithoutALookup) {
  const auto answer = Send("bob", "hello bob");
  ASSERT_EQ(Code(answer), 0) << answer.frame().status().message();
  EXPECT_EQ(answer.frame().send_message().seq(), 5u);
  EXPECT_EQ(answer.frame().send_message().msg_id(), 100u);
  const auto append = storage_.LastRequest<internal::AppendMessageRequest>("AppendMessage");
  EXPECT_EQ(append.sender_id(), 1u);
  EXPECT_EQ(append.recipient_id(), 2u);
  EXPECT_EQ(append.client_msg_id(), "c1");
  EXPECT_TRUE(append.check_relation());  // storage re-checks the relation's versions
  EXPECT_EQ(append.sender_relation_version(), 1u);

  std::set<std::string> endpoints;
  for (const auto& push : access_.pushes()) {
    endpoints.insert(push.endpoint);
    EXPECT_EQ(push.request.frame().message().text(), "hello bob");
    EXPECT_EQ(push.request.frame().message().recipient(), "bob");
  }
  EXPECT_EQ(endpoints, (std::set<std::string>{"a2:7100", "a3:7100"}));
  EXPECT_EQ(storage_.CallsTo("GetRoutes"), 0);  // the append brought the routes
}

TEST_F(MessageHandlersTest, AResendIsAckedWithTheOriginalAndPushedNoMore) {
  storage_.Answer<internal::AppendMessageRequest, internal::AppendMessageResponse>(
      "AppendMessage", [](const internal::AppendMessageRequest&) {
        internal::AppendMessageResponse original;
        original.set_msg_id(100);
        original.set_seq(5);
        original.set_duplicate(true);
        return original;
      });
  const auto answer = Send("bob", "hello bob");
  EXPECT_EQ(Code(answer), 0);
  EXPECT_EQ(answer.frame().send_message().seq(), 5u);
  EXPECT_TRUE(access_.pushes().empty());
}

TEST_F(MessageHandlersTest, ABlockIsRefusedBeforeAnythingIsStored) {
  internal::Relation blocked = Strangers();
  blocked.set_peer_blocked_user(true);
  RelationIs(blocked);
  const auto answer = Send("bob", "hello bob");
  EXPECT_EQ(Code(answer), static_cast<int>(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(storage_.CallsTo("AppendMessage"), 0);
  EXPECT_TRUE(access_.pushes().empty());
}

TEST_F(MessageHandlersTest, ARelationThatChangedUnderTheSendIsDecidedAgainOnAFreshRead) {
  // Storage refuses the first append (a block committed after the decision),
  // and the fresh read then shows the block.
  int appends = 0;
  storage_.Answer<internal::AppendMessageRequest, internal::AppendMessageResponse>(
      "AppendMessage",
      [&](const internal::AppendMessageRequest&)
          -> absl::StatusOr<internal::AppendMessageResponse> {
        ++appends;
        internal::Relation blocked = Strangers(2);
        blocked.set_peer_blocked_user(true);
        RelationIs(blocked);
        return absl::FailedPreconditionError("relation changed");
      });
  const auto answer = Send("bob", "hello bob");
  EXPECT_EQ(appends, 1);
  EXPECT_EQ(storage_.CallsTo("GetRelation"), 2);
  EXPECT_EQ(Code(answer), static_cast<int>(absl::StatusCode::kPermissionDenied));
}

TEST_F(MessageHandlersTest, ASendThatKeepsRacingChangesGivesUpWithAbortedAfterThreeTries) {
  storage_.Answer<internal::AppendMessageRequest, internal::AppendMessageResponse>(
      "AppendMessage",
      [](const internal::AppendMessageRequest&) -> absl::StatusOr<internal::AppendMessageResponse> {
        return absl::FailedPreconditionError("relation changed");
      });
  const auto answer = Send("bob", "hello bob");
  EXPECT_EQ(Code(answer), static_cast<int>(absl::StatusCode::kAborted));
  EXPECT_EQ(storage_.CallsTo("AppendMessage"), 3);
}

TEST_F(MessageHandlersTest, BadContentIsRefusedWithoutAStorageCall) {
  EXPECT_EQ(Code(Send("bob", "")), static_cast<int>(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(Code(Send("bob", "hi", std::string(65, 'x'))),
            static_cast<int>(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(Code(Send("alice", "hi")), static_cast<int>(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(Code(Send("nobody", "hi")), static_cast<int>(absl::StatusCode::kNotFound));
  EXPECT_EQ(storage_.CallsTo("AppendMessage"), 0);
}

TEST_F(MessageHandlersTest, TheContentFilterRefusesBeforeStorageOrStoresAndPushesTheMaskedText) {
  auto filter = SendFilter::Parse("refuse spamlink\nmask darn\n", "filter");
  ASSERT_TRUE(filter.ok()) << filter.status();
  filter_.Set(*filter);

  const auto refused = Send("bob", "visit spamlink");
  EXPECT_EQ(Code(refused), static_cast<int>(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(refused.frame().status().message(),
            "the server's content filter refused this message; nothing was sent");
  EXPECT_EQ(storage_.CallsTo("AppendMessage"), 0) << "nothing stored";

  const auto masked = Send("bob", "darn it", "c2");
  ASSERT_EQ(Code(masked), 0) << masked.frame().status().message();
  EXPECT_TRUE(masked.frame().send_message().masked());
  EXPECT_EQ(storage_.LastRequest<internal::AppendMessageRequest>("AppendMessage").text(),
            "**** it");
  ASSERT_FALSE(access_.pushes().empty());
  EXPECT_EQ(access_.pushes().front().request.frame().message().text(), "**** it")
      << "recipients get what was stored";

  const auto clean = Send("bob", "hello", "c3");
  ASSERT_EQ(Code(clean), 0);
  EXPECT_FALSE(clean.frame().send_message().masked());
}

}  // namespace
}  // namespace im::logic
