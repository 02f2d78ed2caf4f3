// Connection's state machine with a scripted logic (FakeLogic) in place of
// the gRPC client: a real loopback socket and a real io_context, so frames
// are read and written as in production, but every answer from logic comes
// when and how the test says.

#include "access/connection.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "access/connection_registry.h"
#include "access/login_admission.h"
#include "access/request_gateway.h"
#include "common/frame_codec.h"

namespace im::access {
namespace {

using std::chrono::milliseconds;
namespace asio = boost::asio;

// Logic as a test scripts it: records every call; the test answers them.
class FakeLogic final : public RequestGateway {
 public:
  struct Call {
    internal::HandleRequest request;
    Done done;
  };

  void Handle(internal::HandleRequest request, Done done) override {
    std::lock_guard lock(mutex_);
    calls_.push_back({std::move(request), std::move(done)});
    changed_.notify_all();
  }
  void SessionClosed(internal::SessionContext session) override {
    std::lock_guard lock(mutex_);
    closed_.push_back(std::move(session));
    changed_.notify_all();
  }

  // The next request forwarded, in order; nullopt if none came in time.
  std::optional<Call> NextCall(milliseconds timeout = milliseconds(2000)) {
    std::unique_lock lock(mutex_);
    if (!changed_.wait_for(lock, timeout, [&] { return !calls_.empty(); })) return std::nullopt;
    Call call = std::move(calls_.front());
    calls_.pop_front();
    return call;
  }
  std::size_t waiting_calls() {
    std::lock_guard lock(mutex_);
    return calls_.size();
  }
  std::optional<internal::SessionContext> NextSessionClosed(milliseconds timeout) {
    std::unique_lock lock(mutex_);
    if (!changed_.wait_for(lock, timeout, [&] { return !closed_.empty(); })) return std::nullopt;
    internal::SessionContext s = std::move(closed_.front());
    closed_.pop_front();
    return s;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Call> calls_;
  std::deque<internal::SessionContext> closed_;
};

// A blocking client socket speaking frames, with a read timeout.
class TestClient {
 public:
  TestClient(asio::io_context& io, const asio::ip::tcp::endpoint& server) : socket_(io) {
    socket_.connect(server);
    timeval wait{2, 0};
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
  }

  void Send(const client::ClientFrame& frame) {
    asio::write(socket_, asio::buffer(common::EncodeFrame(frame)));
  }
  void SendBytes(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }

  // The next frame; nullopt at EOF or after the 2 s read timeout.
  std::optional<client::ServerFrame> Next() {
    for (;;) {
      if (auto body = decoder_.Next()) {
        client::ServerFrame frame;
        EXPECT_TRUE(frame.ParseFromArray(body->data(), static_cast<int>(body->size())));
        return frame;
      }
      char buffer[4096];
      const ssize_t n = recv(socket_.native_handle(), buffer, sizeof buffer, 0);
      if (n <= 0) return std::nullopt;
      EXPECT_TRUE(decoder_.Append(std::string_view(buffer, static_cast<std::size_t>(n))).ok());
    }
  }
  // True once the server closed the connection (after any frames it sent).
  bool ClosedByServer() {
    while (Next()) {
    }
    char byte;
    return recv(socket_.native_handle(), &byte, 1, 0) == 0;
  }
  void Close() { socket_.close(); }

 private:
  asio::ip::tcp::socket socket_;
  common::FrameDecoder decoder_{1 << 20};
};

client::ClientFrame Request(std::uint64_t req_id) {
  client::ClientFrame frame;
  frame.set_req_id(req_id);
  return frame;
}

client::ClientFrame SendText(std::uint64_t req_id, const std::string& text) {
  client::ClientFrame frame = Request(req_id);
  frame.mutable_send_message()->set_to_user("bob");
  frame.mutable_send_message()->set_text(text);
  return frame;
}

client::ClientFrame Login(std::uint64_t req_id) {
  client::ClientFrame frame = Request(req_id);
  frame.mutable_login()->set_username("alice");
  frame.mutable_login()->set_password("secret");
  frame.mutable_login()->set_device_id("phone");
  return frame;
}

// Logic's answer to login `req_id`: the session the connection binds to.
// (Logic's dispatcher puts the request's req_id in every answer.)
internal::HandleResponse Bound(std::uint64_t req_id, std::uint64_t user_id) {
  internal::HandleResponse response;
  response.mutable_frame()->set_req_id(req_id);
  response.mutable_bind()->set_user_id(user_id);
  response.mutable_bind()->set_username("alice");
  response.mutable_bind()->set_device_id("phone");
  response.mutable_bind()->set_route_epoch(7);
  response.mutable_frame()->mutable_login()->set_user_id(user_id);
  return response;
}

internal::HandleResponse Sent(std::uint64_t req_id, std::uint64_t seq) {
  internal::HandleResponse response;
  response.mutable_frame()->set_req_id(req_id);
  response.mutable_frame()->mutable_send_message()->set_seq(seq);
  return response;
}

class ConnectionTest : public ::testing::Test {
 protected:
  ConnectionTest()
      : work_(asio::make_work_guard(io_)),
        acceptor_(io_, asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), 0)),
        metrics_(),
        counters_(&metrics_),
        registry_(100, 100),
        admission_(1000, 1000, 100) {
    options_.node_id = "access-test";
    options_.push_endpoint = "127.0.0.1:1";
    options_.max_frame_bytes = 64 * 1024;
    options_.max_login_frame_bytes = 4096;
    options_.login_timeout = milliseconds(300);
    options_.idle_timeout = milliseconds(60000);
    options_.max_queued_bytes = 1 << 20;
    options_.max_pending_requests = 16;
    options_.counters = &counters_;
    io_thread_ = std::thread([this] { io_.run(); });
  }
  ~ConnectionTest() override {
    work_.reset();
    io_.stop();
    io_thread_.join();
  }

  // A client connected to a started Connection.
  std::unique_ptr<TestClient> Connect() {
    auto client = std::make_unique<TestClient>(client_io_, acceptor_.local_endpoint());
    Connection::Socket socket(io_);
    acceptor_.accept(socket);
    connection_ = std::make_shared<Connection>(std::move(socket), ++next_conn_id_, options_,
                                               &logic_, &registry_, &admission_);
    connection_->Start();
    return client;
  }

  // A client whose connection logic bound to user 42 (device "phone",
  // route epoch 7); null if that did not happen.
  std::unique_ptr<TestClient> ConnectLoggedIn() {
    auto client = Connect();
    client->Send(Login(1));
    auto login = logic_.NextCall();
    if (!login) return nullptr;
    login->done(Bound(1, 42));
    auto answer = client->Next();
    if (!answer || answer->login().user_id() != 42) return nullptr;
    return client;
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  asio::ip::tcp::acceptor acceptor_;
  asio::io_context client_io_;
  common::Metrics metrics_;
  ConnectionCounters counters_;
  ConnectionRegistry registry_;
  LoginAdmission admission_;
  ConnectionOptions options_;
  FakeLogic logic_;
  std::shared_ptr<Connection> connection_;
  std::uint64_t next_conn_id_ = 0;
  std::thread io_thread_;
};

TEST_F(ConnectionTest, APingIsAnsweredByAccessAloneAndLogicNeverSeesIt) {
  auto client = Connect();
  client::ClientFrame ping = Request(5);
  ping.mutable_ping();
  client->Send(ping);
  auto pong = client->Next();
  ASSERT_TRUE(pong.has_value());
  EXPECT_EQ(pong->req_id(), 5u);
  EXPECT_TRUE(pong->has_pong());
  EXPECT_GT(pong->pong().server_time_ms(), 0);
  EXPECT_EQ(logic_.waiting_calls(), 0u);
}

TEST_F(ConnectionTest, ARequestGoesToLogicWithTheConnectionsContextAndItsAnswerComesBack) {
  auto client = Connect();
  client::ClientFrame reg = Request(3);
  reg.mutable_register_user()->set_username("alice");
  client->Send(reg);
  auto call = logic_.NextCall();
  ASSERT_TRUE(call.has_value());
  EXPECT_EQ(call->request.frame().req_id(), 3u);
  EXPECT_EQ(call->request.frame().register_user().username(), "alice");
  const internal::SessionContext& session = call->request.session();
  EXPECT_EQ(session.user_id(), 0u) << "not logged in";
  EXPECT_EQ(session.conn_id(), next_conn_id_);
  EXPECT_EQ(session.access_node_id(), "access-test");
  EXPECT_EQ(session.access_endpoint(), "127.0.0.1:1");
  EXPECT_EQ(session.peer_address(), "127.0.0.1") << "sent before login, for per-address limits";

  internal::HandleResponse answer;
  answer.mutable_frame()->set_req_id(3);
  answer.mutable_frame()->mutable_register_user()->set_user_id(42);
  call->done(answer);
  auto got = client->Next();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->req_id(), 3u);
  EXPECT_EQ(got->register_user().user_id(), 42u);
}

TEST_F(ConnectionTest, LogicUnavailableIsAnsweredWithItsStatusAndTheConnectionStays) {
  auto client = Connect();
  client->Send(Login(1));
  auto call = logic_.NextCall();
  ASSERT_TRUE(call.has_value());
  call->done(absl::UnavailableError("service unavailable, try again"));
  auto got = client->Next();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->req_id(), 1u);
  EXPECT_EQ(got->status().code(), static_cast<int>(absl::StatusCode::kUnavailable));

  client->Send(Login(2));  // the same connection logs in on the next try
  call = logic_.NextCall();
  ASSERT_TRUE(call.has_value());
  call->done(Bound(2, 42));
  got = client->Next();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->req_id(), 2u);
  EXPECT_EQ(got->login().user_id(), 42u);
}

TEST_F(ConnectionTest, RequestsBehindALoginWaitForItAndGoOnWithItsSessionInOrder) {
  auto client = Connect();
  client->Send(Login(1));
  client->Send(SendText(2, "first"));
  client->Send(SendText(3, "second"));
  auto login = logic_.NextCall();
  ASSERT_TRUE(login.has_value());
  ASSERT_TRUE(login->request.frame().has_login());
  EXPECT_FALSE(logic_.NextCall(milliseconds(200)).has_value())
      << "nothing goes to logic while the login is in flight";

  login->done(Bound(1, 42));
  auto answer = client->Next();
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->login().user_id(), 42u);
  EXPECT_EQ(answer->login().idle_timeout_ms(), 60000u) << "access tells the client how to ping";

  auto first = logic_.NextCall();
  auto second = logic_.NextCall();
  ASSERT_TRUE(first.has_value() && second.has_value());
  EXPECT_EQ(first->request.frame().send_message().text(), "first");
  EXPECT_EQ(second->request.frame().send_message().text(), "second");
  for (const auto* call : {&*first, &*second}) {
    EXPECT_EQ(call->request.session().user_id(), 42u);
    EXPECT_EQ(call->request.session().device_id(), "phone");
    EXPECT_EQ(call->request.session().route_epoch(), 7u);
  }
  second->done(Sent(3, 11));  // answers go out as logic gives them
  first->done(Sent(2, 10));
  auto a = client->Next();
  auto b = client->Next();
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_EQ(a->req_id(), 3u);
  EXPECT_EQ(b->req_id(), 2u);
}

TEST_F(ConnectionTest, ASecondLoginWhileOneIsInFlightIsRefused) {
  auto client = Connect();
  client->Send(Login(1));
  client->Send(Login(2));
  auto refused = client->Next();
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->req_id(), 2u);
  EXPECT_EQ(refused->status().code(), static_cast<int>(absl::StatusCode::kFailedPrecondition));
  auto login = logic_.NextCall();
  ASSERT_TRUE(login.has_value());
  login->done(Bound(1, 42));
  EXPECT_FALSE(logic_.NextCall(milliseconds(100)).has_value());
}

TEST_F(ConnectionTest, BeforeLoginOnlyAFewRequestsMayWaitForLogic) {
  auto client = Connect();
  for (std::uint64_t id = 1; id <= 5; ++id) {
    client::ClientFrame reg = Request(id);
    reg.mutable_register_user()->set_username("u" + std::to_string(id));
    client->Send(reg);
  }
  auto refused = client->Next();
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->req_id(), 5u);
  EXPECT_EQ(refused->status().code(), static_cast<int>(absl::StatusCode::kResourceExhausted));
  EXPECT_NE(refused->status().message().find("before login"), std::string::npos)
      << refused->status().message();
  std::vector<FakeLogic::Call> calls;
  while (auto call = logic_.NextCall(milliseconds(200))) calls.push_back(std::move(*call));
  EXPECT_EQ(calls.size(), 4u) << "the refused one never reached logic";
  for (auto& call : calls) call.done(absl::AlreadyExistsError("taken"));
}

TEST_F(ConnectionTest, AFrameOverTheLoginLimitBeforeLoginGetsAnErrorAndIsClosed) {
  auto client = Connect();
  client->Send(SendText(1, std::string(5000, 'x')));  // over max_login_frame_bytes
  auto error = client->Next();
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->req_id(), 0u);
  EXPECT_NE(error->status().code(), 0);
  EXPECT_NE(error->status().message().find("before login"), std::string::npos)
      << error->status().message();
  EXPECT_TRUE(client->ClosedByServer());
  EXPECT_EQ(logic_.waiting_calls(), 0u);
}

TEST_F(ConnectionTest, GarbageIsAMalformedFrameAndClosesTheConnection) {
  auto client = Connect();
  client->SendBytes(std::string("\x00\x00\x00\x03\xff\xff\xff", 7));
  auto error = client->Next();
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->status().message(), "malformed frame");
  EXPECT_TRUE(client->ClosedByServer());
}

TEST_F(ConnectionTest, NoLoginWithinTheLoginTimeoutClosesWithAReason) {
  auto client = Connect();
  std::this_thread::sleep_for(options_.login_timeout + milliseconds(50));
  connection_->CheckDeadline();  // what the node's DeadlineSweeper does
  auto error = client->Next();
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->status().code(), static_cast<int>(absl::StatusCode::kDeadlineExceeded));
  EXPECT_EQ(error->status().message(), "login timeout");
  EXPECT_TRUE(client->ClosedByServer());
}

TEST_F(ConnectionTest, ALoggedInConnectionThatEndsTellsLogicItsSessionClosed) {
  auto client = ConnectLoggedIn();
  ASSERT_NE(client, nullptr);
  client->Close();
  auto closed = logic_.NextSessionClosed(milliseconds(2000));
  ASSERT_TRUE(closed.has_value());
  EXPECT_EQ(closed->user_id(), 42u);
  EXPECT_EQ(closed->device_id(), "phone");
  EXPECT_EQ(closed->route_epoch(), 7u);
}

TEST_F(ConnectionTest, ALoginAnsweredAfterTheClientLeftIsUndone) {
  auto client = Connect();
  client->Send(Login(1));
  auto login = logic_.NextCall();
  ASSERT_TRUE(login.has_value());
  client->Close();
  std::this_thread::sleep_for(milliseconds(100));  // the connection sees the close
  login->done(Bound(1, 42));
  auto undone = logic_.NextSessionClosed(milliseconds(2000));
  ASSERT_TRUE(undone.has_value()) << "the route logic registered must be removed again";
  EXPECT_EQ(undone->user_id(), 42u);
  EXPECT_EQ(undone->route_epoch(), 7u);
}

TEST_F(ConnectionTest, PushesReachOnlyTheUserTheConnectionIsBoundTo) {
  auto client = ConnectLoggedIn();
  ASSERT_NE(client, nullptr);

  client::ServerFrame push;
  push.mutable_message()->set_text("for someone else");
  connection_->Deliver(43, common::EncodeFrame(push));
  push.mutable_message()->set_text("for alice");
  connection_->Deliver(42, common::EncodeFrame(push));
  auto got = client->Next();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->message().text(), "for alice");
}

}  // namespace
}  // namespace im::access
