#include "logic/request_dispatcher.h"

#include <gtest/gtest.h>

namespace im::logic {
namespace {

internal::HandleRequest MakeRequest(std::uint64_t req_id, std::uint64_t user_id) {
  internal::HandleRequest request;
  request.mutable_frame()->set_req_id(req_id);
  request.mutable_session()->set_user_id(user_id);
  return request;
}

internal::HandleResponse DispatchSync(const RequestDispatcher& d,
                                      const internal::HandleRequest& request) {
  internal::HandleResponse out;
  int calls = 0;
  d.Dispatch(request, [&](internal::HandleResponse r) {
    out = std::move(r);
    ++calls;
  });
  EXPECT_EQ(calls, 1);
  return out;
}

class RequestDispatcherTest : public ::testing::Test {
 protected:
  RequestDispatcherTest() {
    dispatcher_.Register(
        client::ClientFrame::kSendMessage, Access::kLoggedIn,
        [this](const internal::HandleRequest& req, Reply reply) {
          ++send_calls_;
          internal::HandleResponse response;
          response.mutable_frame()->mutable_send_message()->set_seq(req.session().user_id());
          reply(std::move(response));
        });
    dispatcher_.Register(client::ClientFrame::kRegisterUser, Access::kPublic,
                         [](const internal::HandleRequest&, Reply reply) {
                           reply(absl::AlreadyExistsError("taken"));
                         });
    dispatcher_.Register(client::ClientFrame::kLogin, Access::kPublic,
                         [](const internal::HandleRequest&, Reply reply) {
                           reply(absl::InternalError("db password is hunter2"));
                         });
  }
  RequestDispatcher dispatcher_;
  int send_calls_ = 0;
};

TEST_F(RequestDispatcherTest, RoutesByBodyTypeAndEchoesReqId) {
  auto request = MakeRequest(42, 7);
  request.mutable_frame()->mutable_send_message()->set_text("x");
  auto response = DispatchSync(dispatcher_, request);
  EXPECT_EQ(response.frame().req_id(), 42u);
  EXPECT_EQ(response.frame().status().code(), 0);
  EXPECT_EQ(response.frame().send_message().seq(), 7u);
  EXPECT_EQ(send_calls_, 1);
}

TEST_F(RequestDispatcherTest, LoggedInRequestBeforeLoginIsUnauthenticated) {
  auto request = MakeRequest(5, 0);
  request.mutable_frame()->mutable_send_message()->set_text("x");
  auto response = DispatchSync(dispatcher_, request);
  EXPECT_EQ(response.frame().req_id(), 5u);
  EXPECT_EQ(response.frame().status().code(), static_cast<int>(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(send_calls_, 0);
}

TEST_F(RequestDispatcherTest, EmptyOrUnregisteredRequestIsUnimplemented) {
  auto empty = DispatchSync(dispatcher_, MakeRequest(6, 1));
  EXPECT_EQ(empty.frame().status().code(), static_cast<int>(absl::StatusCode::kUnimplemented));
  auto ping = MakeRequest(7, 1);
  ping.mutable_frame()->mutable_ping();
  auto unregistered = DispatchSync(dispatcher_, ping);
  EXPECT_EQ(unregistered.frame().status().code(),
            static_cast<int>(absl::StatusCode::kUnimplemented));
  EXPECT_EQ(unregistered.frame().req_id(), 7u);
}

TEST_F(RequestDispatcherTest, HandlerErrorsBecomeStatusesAndInternalDetailsAreHidden) {
  auto reg = MakeRequest(8, 0);
  reg.mutable_frame()->mutable_register_user();
  auto taken = DispatchSync(dispatcher_, reg);
  EXPECT_EQ(taken.frame().status().code(), static_cast<int>(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(taken.frame().status().message(), "taken");

  auto login = MakeRequest(9, 0);
  login.mutable_frame()->mutable_login();
  auto internal = DispatchSync(dispatcher_, login);
  EXPECT_EQ(internal.frame().status().code(), static_cast<int>(absl::StatusCode::kInternal));
  EXPECT_EQ(internal.frame().status().message(), "internal error");
}

TEST(RequestDispatcherAnswerTest, ARequestIsAnsweredOnceWhateverItsHandlerDoes) {
  RequestDispatcher d;
  Reply kept;
  d.Register(client::ClientFrame::kPing, Access::kPublic,
             [&kept](const internal::HandleRequest&, Reply reply) { kept = reply; });
  d.Register(client::ClientFrame::kLogout, Access::kPublic,
             [](const internal::HandleRequest&, Reply) { /* a bug: drops it */ });

  // Dropped without an answer: answered INTERNAL when the last copy goes.
  internal::HandleRequest logout = MakeRequest(8, 0);
  logout.mutable_frame()->mutable_logout();
  const internal::HandleResponse dropped = DispatchSync(d, logout);
  EXPECT_EQ(dropped.frame().req_id(), 8u);
  EXPECT_EQ(dropped.frame().status().code(), static_cast<int>(absl::StatusCode::kInternal));

  // Kept and answered later, then answered again: the client hears once.
  internal::HandleRequest ping = MakeRequest(9, 0);
  ping.mutable_frame()->mutable_ping();
  int calls = 0;
  d.Dispatch(ping, [&](internal::HandleResponse r) {
    ++calls;
    EXPECT_EQ(r.frame().req_id(), 9u);
  });
  EXPECT_EQ(calls, 0) << "not answered while the handler holds its Reply";
  kept(internal::HandleResponse{});
  EXPECT_EQ(calls, 1);
  EXPECT_DEBUG_DEATH(kept(internal::HandleResponse{}), "answered twice");
  kept = nullptr;
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace im::logic
