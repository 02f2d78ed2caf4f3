#include "logic/account_handlers.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include "logic/handler_test_doubles.h"

namespace im::logic {
namespace {

constexpr char kPassword[] = "correct horse";

class AccountHandlersTest : public ::testing::Test {
 protected:
  AccountHandlersTest() {
    handlers_.RegisterWith(dispatcher_);
    bob_ = StoredUser(2, "bob");
    bob_.set_password_hash(hasher_.Hash(kPassword).value_or(""));
    storage_.Answer<internal::GuardLoginRequest, internal::GuardLoginResponse>(
        "GuardLogin",
        [](const internal::GuardLoginRequest&) { return internal::GuardLoginResponse(); });
    storage_.AnswerUsers({bob_});
    storage_.Answer<internal::CreateSessionRequest, internal::CreateSessionResponse>(
        "CreateSession",
        [](const internal::CreateSessionRequest&) { return internal::CreateSessionResponse(); });
    storage_.Answer<internal::RevokeSessionRequest, internal::RevokeSessionResponse>(
        "RevokeSession",
        [](const internal::RevokeSessionRequest&) { return internal::RevokeSessionResponse(); });
    RouteRegistration(RouteAnswer());
  }

  static internal::RegisterRouteResponse RouteAnswer() {
    internal::RegisterRouteResponse registered;
    registered.set_epoch(7);
    return registered;
  }

  void RouteRegistration(absl::StatusOr<internal::RegisterRouteResponse> answer) {
    storage_.Answer<internal::RegisterRouteRequest, internal::RegisterRouteResponse>(
        "RegisterRoute", [answer](const internal::RegisterRouteRequest&) { return answer; });
  }

  internal::HandleResponse Login(const std::string& username, const std::string& password) {
    internal::SessionContext session;
    session.set_access_node_id("a1");
    session.set_access_endpoint("a1:7100");
    session.set_conn_id(10);
    session.set_peer_address("192.0.2.1");
    client::ClientFrame frame;
    frame.mutable_login()->set_username(username);
    frame.mutable_login()->set_password(password);
    frame.mutable_login()->set_device_id("phone");
    return Ask(dispatcher_, session, std::move(frame));
  }

  static int Code(const internal::HandleResponse& r) { return r.frame().status().code(); }

  LogicConfig config_;
  ScriptedStorage storage_;
  RecordedAccess access_;
  common::Metrics metrics_;
  // The cheapest argon2id libsodium allows: the tests check the flow, not the cost.
  PasswordHasher hasher_{crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
  common::WorkPool hash_workers_{1, 16};
  LoginThrottle throttle_{config_, &storage_, &metrics_};
  UserRateLimiter registrations_{"registrations", 100, 100, &metrics_};
  AccountHandlers handlers_{config_,        &storage_,  &access_,       &hasher_,
                            &hash_workers_, &throttle_, &registrations_};
  RequestDispatcher dispatcher_;
  internal::User bob_;
};

TEST_F(AccountHandlersTest, APasswordLoginMakesASessionRegistersTheRouteAndBindsTheConnection) {
  const auto answer = Login("bob", kPassword);
  ASSERT_EQ(Code(answer), 0) << answer.frame().status().message();
  EXPECT_EQ(answer.frame().login().user_id(), 2u);
  EXPECT_FALSE(answer.frame().login().session_token().empty());
  EXPECT_EQ(answer.bind().user_id(), 2u);
  EXPECT_EQ(answer.bind().device_id(), "phone");
  EXPECT_EQ(answer.bind().route_epoch(), 7u);
  // The session stored is the token handed out, for this user and device.
  const auto session = storage_.LastRequest<internal::CreateSessionRequest>("CreateSession");
  EXPECT_EQ(session.token_hash(), HashSessionToken(answer.frame().login().session_token()));
  EXPECT_EQ(session.user_id(), 2u);
  EXPECT_EQ(session.device_id(), "phone");
  const auto route = storage_.LastRequest<internal::RegisterRouteRequest>("RegisterRoute");
  EXPECT_EQ(route.route().conn_id(), 10u);
  EXPECT_EQ(route.route().access_node_id(), "a1");
  EXPECT_TRUE(storage_.LastRequest<internal::GetUserRequest>("GetUser").with_password_hash());
}

TEST_F(AccountHandlersTest, AWrongPasswordAndAnUnknownNameGetTheSameAnswerAndCountAsFailures) {
  const auto wrong = Login("bob", "not the password");
  const auto unknown = Login("nobody", "not the password");
  EXPECT_EQ(Code(wrong), static_cast<int>(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(wrong.frame().status().message(), unknown.frame().status().message());
  EXPECT_EQ(Code(unknown), Code(wrong));
  int failures = 0;
  for (const auto& call : storage_.Calls())
    failures += call.method == "GuardLogin" && call.request.find("FAILED") != std::string::npos;
  EXPECT_EQ(failures, 2);
  EXPECT_EQ(storage_.CallsTo("CreateSession"), 0);
}

TEST_F(AccountHandlersTest, AThrottledAccountIsNotCheckedAtAll) {
  storage_.Answer<internal::GuardLoginRequest, internal::GuardLoginResponse>(
      "GuardLogin", [](const internal::GuardLoginRequest&) {
        internal::GuardLoginResponse wait;
        wait.set_retry_after_ms(4000);
        wait.set_scope("account");
        return wait;
      });
  const auto answer = Login("bob", kPassword);
  EXPECT_EQ(Code(answer), static_cast<int>(absl::StatusCode::kResourceExhausted));
  EXPECT_GT(answer.frame().status().retry_after_ms(), 0u);
  EXPECT_EQ(storage_.CallsTo("GetUser"), 0);
}

TEST_F(AccountHandlersTest, WithRedisDownTheLoginStandsAndTheRouteIsLeftToTheAccessNode) {
  RouteRegistration(absl::UnavailableError("redis unavailable"));
  const auto answer = Login("bob", kPassword);
  ASSERT_EQ(Code(answer), 0) << answer.frame().status().message();
  EXPECT_EQ(answer.bind().route_epoch(), 0u);  // "pending": access registers it later
  EXPECT_EQ(storage_.CallsTo("RevokeSession"), 0);
}

TEST_F(AccountHandlersTest, ALoginRefusedForTooManyDevicesRevokesTheSessionItMade) {
  RouteRegistration(absl::ResourceExhaustedError("this account is online on 10 devices"));
  const auto answer = Login("bob", kPassword);
  EXPECT_EQ(Code(answer), static_cast<int>(absl::StatusCode::kResourceExhausted));
  EXPECT_FALSE(answer.has_bind());
  ASSERT_EQ(storage_.CallsTo("RevokeSession"), 1);
  EXPECT_EQ(storage_.LastRequest<internal::RevokeSessionRequest>("RevokeSession").token_hash(),
            storage_.LastRequest<internal::CreateSessionRequest>("CreateSession").token_hash());
}

TEST_F(AccountHandlersTest, ALoginThatReplacedAnotherConnectionOfTheDeviceKicksIt) {
  internal::RegisterRouteResponse registered = RouteAnswer();
  registered.mutable_replaced()->set_access_node_id("a2");
  registered.mutable_replaced()->set_access_endpoint("a2:7100");
  registered.mutable_replaced()->set_conn_id(99);
  RouteRegistration(registered);
  ASSERT_EQ(Code(Login("bob", kPassword)), 0);
  const auto kicks = access_.kicks();
  ASSERT_EQ(kicks.size(), 1u);
  EXPECT_EQ(kicks[0].endpoint, "a2:7100");
  EXPECT_EQ(kicks[0].request.target().conn_id(), 99u);
  EXPECT_EQ(kicks[0].request.target().user_id(), 2u);
}

TEST_F(AccountHandlersTest, ATokenForAnotherUserOrDeviceIsRefusedWithAHint) {
  storage_.Answer<internal::ResumeSessionRequest, internal::ResumeSessionResponse>(
      "ResumeSession",
      [](const internal::ResumeSessionRequest&) -> absl::StatusOr<internal::ResumeSessionResponse> {
        return absl::PermissionDeniedError("not this session's device");
      });
  client::ClientFrame frame;
  frame.mutable_login()->set_session_token("abc123");
  frame.mutable_login()->set_username("bob");
  frame.mutable_login()->set_device_id("laptop");
  const auto answer = Ask(dispatcher_, internal::SessionContext(), std::move(frame));
  EXPECT_EQ(Code(answer), static_cast<int>(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(answer.frame().status().message(),
            "this session is for another user or device: log in with your password");
  const auto resume = storage_.LastRequest<internal::ResumeSessionRequest>("ResumeSession");
  EXPECT_EQ(resume.token_hash(), HashSessionToken("abc123"));
  EXPECT_EQ(resume.username(), "bob");
  EXPECT_EQ(resume.device_id(), "laptop");
}

}  // namespace
}  // namespace im::logic
