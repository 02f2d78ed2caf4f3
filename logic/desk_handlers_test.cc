// A message to a desk account is routed before its sender's ack: the ack
// means the desk has the conversation (logic/desk_handlers.h).

#include "logic/desk_handlers.h"

#include <gtest/gtest.h>

#include "logic/handler_test_doubles.h"
#include "logic/message_handlers.h"

namespace im::logic {
namespace {

class DeskRoutingTest : public ::testing::Test {
 protected:
  DeskRoutingTest() {
    directory_.Set(*DeskDirectory::Parse("support: ann ben\n", "desks"));
    messages_.RegisterWith(dispatcher_);
    storage_.AnswerUsers({StoredUser(2, "support"), StoredUser(3, "bob")});
    internal::Relation strangers;
    strangers.set_peer_message_policy(client::MESSAGE_POLICY_EVERYONE);
    storage_.Answer<internal::UserPair, internal::Relation>(
        "GetRelation", [strangers](const internal::UserPair&) { return strangers; });
    storage_.Answer<internal::AppendMessageRequest, internal::AppendMessageResponse>(
        "AppendMessage", [](const internal::AppendMessageRequest&) {
          internal::AppendMessageResponse stored;
          stored.set_msg_id(100);
          stored.set_conv_id(9);
          stored.set_seq(1);
          stored.mutable_routes();  // nobody online but the agent below
          return stored;
        });
  }

  internal::HandleResponse Send(const std::string& to, const std::string& text) {
    client::ClientFrame frame;
    frame.mutable_send_message()->set_to_user(to);
    frame.mutable_send_message()->set_text(text);
    frame.mutable_send_message()->set_client_msg_id("c1");
    return Ask(dispatcher_, LoggedIn(1, "carol"), std::move(frame));
  }

  LogicConfig config_;
  ScriptedStorage storage_;
  RecordedAccess access_;
  UserDirectory users_{&storage_, 100};
  RelationCache relations_{100};
  PushFanout fanout_{&storage_, &access_, 1000};
  DeskDirectoryHolder directory_;
  DeskHandlers desks_{config_, &storage_, &users_, &fanout_, &directory_};
  MessageHandlers messages_{config_, &storage_, &users_, &relations_, &fanout_, {}, &desks_};
  RequestDispatcher dispatcher_;
};

TEST_F(DeskRoutingTest, TheCustomerIsAckedOnceTheDeskHasTheConversationAndItsAgentIsTold) {
  storage_.Answer<internal::DeskCall, internal::DeskResult>(
      "Desk", [](const internal::DeskCall& call) {
        internal::DeskResult result;
        auto* ticket = result.add_tickets();
        ticket->set_customer_id(call.customer_id());
        ticket->set_agent_id(7);
        auto* routes = result.mutable_agent_routes()->add_users();
        routes->set_user_id(7);
        auto* route = routes->add_routes();
        route->set_access_node_id("a5");
        route->set_access_endpoint("a5:7100");
        route->set_conn_id(50);
        return result;
      });
  const auto sent = Send("support", "my order is late");
  ASSERT_EQ(sent.frame().status().code(), 0) << sent.frame().status().message();
  EXPECT_EQ(sent.frame().send_message().msg_id(), 100u);
  const auto call = storage_.LastRequest<internal::DeskCall>("Desk");
  EXPECT_EQ(call.op(), internal::DeskCall::ROUTE);
  EXPECT_EQ(call.desk_id(), 2u);
  EXPECT_EQ(call.customer_id(), 1u);
  EXPECT_EQ(std::vector<std::string>(call.agents().begin(), call.agents().end()),
            (std::vector<std::string>{"ann", "ben"}));
  bool told = false;
  for (const auto& push : access_.pushes()) {
    if (push.endpoint == "a5:7100" && push.request.frame().has_desk_event()) {
      told = push.request.frame().desk_event().message().text() == "my order is late";
    }
  }
  EXPECT_TRUE(told) << "the agent holding the conversation is told";

  // A message to anyone else is not routed.
  ASSERT_EQ(Send("bob", "hello").frame().status().code(), 0);
  EXPECT_EQ(storage_.CallsTo("Desk"), 1);
}

TEST_F(DeskRoutingTest, ARoutingFailureAnswersUnavailableSoTheCustomerSendsAgain) {
  storage_.Answer<internal::DeskCall, internal::DeskResult>(
      "Desk", [](const internal::DeskCall&) -> absl::StatusOr<internal::DeskResult> {
        return absl::UnavailableError("storage is down");
      });
  const auto sent = Send("support", "my order is late");
  EXPECT_EQ(sent.frame().status().code(), static_cast<int>(absl::StatusCode::kUnavailable));
  EXPECT_EQ(sent.frame().status().message(),
            "the desk support could not take the message; send it again");
  EXPECT_EQ(storage_.CallsTo("AppendMessage"), 1) << "stored; the resend finds it";
}

}  // namespace
}  // namespace im::logic
