// The before_send webhook: how its answers are read, and what a send does
// with them (MessageHandlers with a real WebhookClient against a HookServer,
// and scripted storage).

#include "logic/before_send_hook.h"

#include <gtest/gtest.h>

#include "common/proto_json.h"
#include "logic/handler_test_doubles.h"
#include "logic/message_handlers.h"
#include "tests/support/hook_server.h"

namespace im::logic {
namespace {

using Action = BeforeSendHook::Decision::Action;
using std::chrono::milliseconds;
using testing::HookServer;

WebhookClient::Answer Http(unsigned status, std::string body) { return {status, std::move(body)}; }

TEST(BeforeSendHookTest, ReadsAllowRefuseAndRewrite) {
  auto allow = BeforeSendHook::ReadAnswer(Http(200, R"({"action":"allow"})"), false);
  ASSERT_TRUE(allow.ok()) << allow.status();
  EXPECT_EQ(allow->action, Action::kAllow);

  auto refuse = BeforeSendHook::ReadAnswer(
      Http(200, R"({"action":"refuse","reason":"links to that site are not allowed"})"), false);
  ASSERT_TRUE(refuse.ok()) << refuse.status();
  EXPECT_EQ(refuse->action, Action::kRefuse);
  EXPECT_EQ(refuse->refusal.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(refuse->refusal.message(),
            "the server refused this message: links to that site are not allowed; nothing was "
            "sent");
  auto bare = BeforeSendHook::ReadAnswer(Http(204, R"({"action":"refuse"})"), false);
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->refusal.message(), "the server refused this message; nothing was sent");

  auto rewrite = BeforeSendHook::ReadAnswer(
      Http(200, R"({"action":"rewrite","text":"h\u00e9llo","future_field":1})"), false);
  ASSERT_TRUE(rewrite.ok()) << rewrite.status();
  EXPECT_EQ(rewrite->action, Action::kRewrite);
  EXPECT_EQ(rewrite->content, "héllo");
  auto typed = BeforeSendHook::ReadAnswer(
      Http(200, R"({"action":"rewrite","payload":"{\"url\":\"x\"}"})"), true);
  ASSERT_TRUE(typed.ok()) << typed.status();
  EXPECT_EQ(typed->content, R"({"url":"x"})");
}

TEST(BeforeSendHookTest, AnythingElseIsAFailedHook) {
  for (const auto& [status, body] : std::vector<std::pair<unsigned, std::string>>{
           {500, R"({"action":"allow"})"},
           {302, R"({"action":"allow"})"},
           {200, "not json"},
           {200, R"({"action":"maybe"})"},
           {200, R"({})"},
           {200, R"({"action":"rewrite"})"},
           {200, R"({"action":"rewrite","payload":"{}"})"},  // a text message needs text
       }) {
    EXPECT_FALSE(BeforeSendHook::ReadAnswer(Http(status, body), false).ok())
        << status << " " << body;
  }
}

TEST(BeforeSendHookTest, ALongReasonIsCutOnACharacterBoundary) {
  std::string reason(199, 'x');
  reason += "é";  // bytes 199 and 200
  auto refuse = BeforeSendHook::ReadAnswer(
      Http(200, R"({"action":"refuse","reason":")" + reason + R"("})"), false);
  ASSERT_TRUE(refuse.ok());
  EXPECT_NE(refuse->refusal.message().find(std::string(199, 'x') + "; nothing"),
            std::string::npos)
      << refuse->refusal.message();
}

// Sends through MessageHandlers whose before_send hook is `hook_`.
class SendWithHookTest : public ::testing::Test {
 protected:
  explicit SendWithHookTest(BeforeSendHook::OnFailure on_failure = BeforeSendHook::OnFailure::kAllow,
                            milliseconds timeout = milliseconds(500))
      : client_(*WebhookClient::Create({hook_.url("/before"), timeout, 4, 100}, nullptr)),
        before_send_(client_.get(), on_failure, nullptr),
        handlers_(config_, &storage_, &users_, &relations_, &fanout_,
                  {.before_send = &before_send_}) {
    config_.after_send_url = "http://127.0.0.1:9/after";  // events recorded with the appends
    handlers_.RegisterWith(dispatcher_);
    storage_.AnswerUsers({StoredUser(2, "bob")});
    internal::Relation strangers;
    strangers.set_peer_message_policy(client::MESSAGE_POLICY_EVERYONE);
    storage_.Answer<internal::UserPair, internal::Relation>(
        "GetRelation", [strangers](const internal::UserPair&) { return strangers; });
    storage_.Answer<internal::AppendMessageRequest, internal::AppendMessageResponse>(
        "AppendMessage", [this](const internal::AppendMessageRequest& r) {
          internal::AppendMessageResponse stored;
          stored.set_msg_id(100 + ++appended_);
          stored.set_conv_id(r.group_id() != 0 ? r.group_id() : 9);
          stored.set_seq(appended_);
          return stored;
        });
  }

  // The client's thread runs the sends on from the hook's answers: it stops
  // before what they use goes.
  ~SendWithHookTest() override { client_.reset(); }

  static client::ClientFrame Frame(const std::string& to, const std::string& text,
                                   const std::string& client_msg_id, std::uint64_t group = 0) {
    client::ClientFrame frame;
    auto* send = frame.mutable_send_message();
    if (group != 0) {
      send->set_group_id(group);
    } else {
      send->set_to_user(to);
    }
    send->set_text(text);
    send->set_client_msg_id(client_msg_id);
    return frame;
  }
  internal::HandleResponse Send(const std::string& to, const std::string& text,
                                const std::string& client_msg_id = "c1") {
    return Ask(dispatcher_, LoggedIn(1, "alice"), Frame(to, text, client_msg_id));
  }
  static int Code(const internal::HandleResponse& r) { return r.frame().status().code(); }
  // The client_msg_ids of the appends, in the order storage got them.
  std::vector<std::string> AppendOrder() const {
    std::vector<std::string> order;
    for (const auto& call : storage_.Calls()) {
      if (call.method != "AppendMessage") continue;
      const std::size_t at = call.request.find("client_msg_id: \"");
      order.push_back(call.request.substr(at + 16, call.request.find('"', at + 16) - at - 16));
    }
    return order;
  }

  HookServer hook_{[](const HookServer::Request&) {
    return HookServer::Reply{200, R"({"action":"allow"})"};
  }};
  LogicConfig config_;
  ScriptedStorage storage_;
  RecordedAccess access_;
  UserDirectory users_{&storage_, 100};
  RelationCache relations_{100};
  PushFanout fanout_{&storage_, &access_, 1000};
  std::unique_ptr<WebhookClient> client_;
  BeforeSendHook before_send_;
  MessageHandlers handlers_;
  RequestDispatcher dispatcher_;
  std::atomic<int> appended_{0};
};

TEST_F(SendWithHookTest, TheHookSeesTheSendAndARefusalStoresNothing) {
  hook_.SetAnswer([](const HookServer::Request& r) {
    const bool spam = r.body.find("buy now") != std::string::npos;
    return HookServer::Reply{200, spam ? R"({"action":"refuse","reason":"spam"})"
                                       : R"({"action":"allow"})"};
  });
  const auto refused = Send("bob", "buy now!");
  EXPECT_EQ(Code(refused), static_cast<int>(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(refused.frame().status().message(),
            "the server refused this message: spam; nothing was sent");
  EXPECT_EQ(storage_.CallsTo("AppendMessage"), 0);

  const auto allowed = Send("bob", "hello", "c2");
  ASSERT_EQ(Code(allowed), 0) << allowed.frame().status().message();
  EXPECT_FALSE(allowed.frame().send_message().rewritten());

  ASSERT_EQ(hook_.requests().size(), 2u);
  webhook::Event seen;
  ASSERT_TRUE(common::ProtoFromJson(hook_.requests()[1].body, &seen).ok());
  EXPECT_EQ(seen.type(), "message.before_send");
  EXPECT_EQ(seen.message().sender(), "alice");
  EXPECT_EQ(seen.message().sender_id(), 1u);
  EXPECT_EQ(seen.message().recipient(), "bob");
  EXPECT_EQ(seen.message().kind(), "text");
  EXPECT_EQ(seen.message().text(), "hello");

  // With the after_send outbox on, the append carries the event to record.
  const auto append = storage_.LastRequest<internal::AppendMessageRequest>("AppendMessage");
  EXPECT_EQ(append.webhook_event().type(), "message.sent");
  EXPECT_EQ(append.webhook_event().message().sender(), "alice");
  EXPECT_EQ(append.webhook_event().message().recipient(), "bob");
}

TEST_F(SendWithHookTest, ARewriteIsWhatIsStoredAndPushedAndTheAckSaysSo) {
  hook_.SetAnswer([](const HookServer::Request&) {
    return HookServer::Reply{200, R"({"action":"rewrite","text":"hello [link removed]"})"};
  });
  const auto sent = Send("bob", "hello http://x.example");
  ASSERT_EQ(Code(sent), 0) << sent.frame().status().message();
  EXPECT_TRUE(sent.frame().send_message().rewritten());
  EXPECT_EQ(storage_.LastRequest<internal::AppendMessageRequest>("AppendMessage").text(),
            "hello [link removed]");

  // A rewrite that is no valid message is a failed hook: allowed as sent here.
  config_.max_text_bytes = 10;
  const auto too_long = Send("bob", "hi", "c2");
  ASSERT_EQ(Code(too_long), 0) << too_long.frame().status().message();
  EXPECT_FALSE(too_long.frame().send_message().rewritten());
  EXPECT_EQ(storage_.LastRequest<internal::AppendMessageRequest>("AppendMessage").text(), "hi");
}

TEST_F(SendWithHookTest, PipelinedSendsAreStoredInOrderWhateverTheHookTakes) {
  // The first send's answer comes last; 1:1 and group sends alike keep their order.
  hook_.SetAnswer([](const HookServer::Request& r) {
    const bool slow = r.body.find("first") != std::string::npos;
    return HookServer::Reply{200, R"({"action":"allow"})", milliseconds(slow ? 300 : 0)};
  });
  std::vector<std::future<internal::HandleResponse>> answers;
  const std::vector<client::ClientFrame> frames = {Frame("bob", "first", "c1"),
                                                   Frame("", "second", "c2", /*group=*/42),
                                                   Frame("bob", "third", "c3")};
  for (const auto& frame : frames) {
    auto answered = std::make_shared<std::promise<internal::HandleResponse>>();
    answers.push_back(answered->get_future());
    internal::HandleRequest request;
    *request.mutable_session() = LoggedIn(1, "alice");
    *request.mutable_frame() = frame;
    dispatcher_.Dispatch(request, [answered](internal::HandleResponse r) {
      answered->set_value(std::move(r));
    });
  }
  for (auto& answer : answers) {
    ASSERT_EQ(answer.wait_for(std::chrono::seconds(5)), std::future_status::ready);
    EXPECT_EQ(Code(answer.get()), 0);
  }
  EXPECT_EQ(AppendOrder(), (std::vector<std::string>{"c1", "c2", "c3"}));
}

class FailClosedTest : public SendWithHookTest {
 protected:
  FailClosedTest() : SendWithHookTest(BeforeSendHook::OnFailure::kRefuse, milliseconds(200)) {}
};

TEST_F(SendWithHookTest, AFailedHookLetsSendsThroughWhenFailingOpen) {
  hook_.SetAnswer([](const HookServer::Request&) { return HookServer::Reply{503, "down"}; });
  EXPECT_EQ(Code(Send("bob", "one")), 0);
  hook_.Stop();
  EXPECT_EQ(Code(Send("bob", "two", "c2")), 0);
  EXPECT_EQ(storage_.CallsTo("AppendMessage"), 2);
}

TEST_F(FailClosedTest, AHookThatIsSlowOrDownRefusesSendsWhenFailingClosed) {
  hook_.SetAnswer([](const HookServer::Request&) {
    return HookServer::Reply{200, R"({"action":"allow"})", milliseconds(1000)};
  });
  const auto slow = Send("bob", "one");
  EXPECT_EQ(Code(slow), static_cast<int>(absl::StatusCode::kUnavailable));
  EXPECT_EQ(slow.frame().status().message(),
            "the server could not check this message; nothing was sent, try again later");
  hook_.Stop();
  EXPECT_EQ(Code(Send("bob", "two", "c2")), static_cast<int>(absl::StatusCode::kUnavailable));
  EXPECT_EQ(storage_.CallsTo("AppendMessage"), 0);
  hook_.Start();
  hook_.SetAnswer([](const HookServer::Request&) {
    return HookServer::Reply{200, R"({"action":"allow"})"};
  });
  EXPECT_EQ(Code(Send("bob", "three", "c3")), 0) << "back once the hook is";
}

}  // namespace
}  // namespace im::logic
