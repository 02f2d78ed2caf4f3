#pragma once
// What the im-access fuzz targets (access_connection_fuzz, poll_http_fuzz)
// share: a stand-in im-logic served over real gRPC in the same process, a
// loopback acceptor the fuzzed connections come from, and the client side of
// one input (send it, shut down, read until the server closes).
//
// The stand-in answers every call, and how comes from the request: a login
// succeeds with the session token "t" + username (so a later
// "Authorization: Bearer t<name>" names it on the long-poll port) unless the
// username starts with "x"; a request whose req_id is divisible by 7 fails
// UNAVAILABLE; others get an empty answer. Answers carry the request's
// req_id, as logic's dispatcher sets it.

// clang-format off
#include <utility>  // Boost 1.74's Asio uses std::exchange without including it (C++20)
#include <boost/asio.hpp>
// clang-format on
#include <grpcpp/server_builder.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "access/connection.h"
#include "access/login_admission.h"
#include "access/logic_client.h"
#include "common/internal_tls.h"
#include "common/logging.h"
#include "common/stream_server.h"
#include "logic.grpc.pb.h"

namespace im::fuzz {

class StandInLogic final : public internal::Logic::CallbackService {
 public:
  grpc::ServerBidiReactor<internal::HandleCalls, internal::HandleResults>* HandleStream(
      grpc::CallbackServerContext*) override {
    return stream_.Open();
  }

 private:
  static void Answer(const internal::HandleRequest& request, internal::HandleResponse* response,
                     std::function<void(absl::Status)> done) {
    if (request.session_closed()) return done(absl::OkStatus());
    const client::ClientFrame& frame = request.frame();
    response->mutable_frame()->set_req_id(frame.req_id());
    if (frame.req_id() % 7 == 0) return done(absl::UnavailableError("stand-in says no"));
    if (frame.has_login()) {
      if (frame.login().username().rfind('x', 0) == 0) {
        return done(absl::UnauthenticatedError("wrong username or password"));
      }
      auto* login = response->mutable_frame()->mutable_login();
      login->set_user_id(1);
      login->set_session_token("t" + frame.login().username());
      response->mutable_bind()->set_user_id(1);
      response->mutable_bind()->set_username(frame.login().username());
      response->mutable_bind()->set_device_id(frame.login().device_id());
      response->mutable_bind()->set_route_epoch(1);
    }
    done(absl::OkStatus());
  }

  common::StreamServer<internal::HandleCalls, internal::HandleResults> stream_{Answer};
};

// The stand-in logic and a LogicClient to it, one network thread, a
// listening socket on loopback, and the counters and login admission the
// connections under test share. Lives until the process ends.
struct AccessHarness {
  AccessHarness() {
    common::InitLogging(std::getenv("IM_FUZZ_LOG") ? std::getenv("IM_FUZZ_LOG") : "error");
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &logic_port);
    builder.RegisterService(&logic);
    server = builder.BuildAndStart();
    if (!server || logic_port == 0) std::abort();
    logic_client = std::make_unique<access::LogicClient>(
        "127.0.0.1:" + std::to_string(logic_port), common::InternalCredentials::Insecure(),
        std::chrono::milliseconds(2000));
    acceptor.open(boost::asio::ip::tcp::v4());
    acceptor.bind({boost::asio::ip::make_address("127.0.0.1"), 0});
    acceptor.listen();
    io_thread = std::thread([this] { io.run(); });
  }

  // A new connection: `client` is connected, and the returned socket is its
  // accepted end (on `io`), for the server object under test.
  access::Connection::Socket Accept(boost::asio::ip::tcp::socket& client) {
    boost::system::error_code ec;
    do {  // a signal (say, SIGCHLD) can interrupt it: try again
      client.close(ec);
      client.connect(acceptor.local_endpoint(), ec);
    } while (ec == boost::asio::error::interrupted);
    if (ec) std::abort();
    access::Connection::Socket accepted(io);
    do {
      acceptor.accept(accepted, ec);  // already queued by connect
    } while (ec == boost::asio::error::interrupted);
    if (ec) std::abort();
    return accepted;
  }

  StandInLogic logic;
  int logic_port = 0;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<access::LogicClient> logic_client;
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{
      io.get_executor()};
  boost::asio::ip::tcp::acceptor acceptor{io};
  std::thread io_thread;
  common::Metrics metrics;
  access::ConnectionCounters counters{&metrics};
  access::LoginAdmission admission{1e9, 1e9, 0};  // no pace: every login is admitted
};

// Sends the input on `client`, shuts down its sending side, reads the
// answers until the server closes (so its writes never block; 5 s at most)
// and closes.
inline void SendAndReadToTheEnd(boost::asio::ip::tcp::socket& client, const std::uint8_t* data,
                                std::size_t size) {
  boost::system::error_code ec;
  boost::asio::write(client, boost::asio::buffer(data, size), ec);
  client.shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
  char sink[16384];
  client.non_blocking(true);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    const std::size_t n = client.read_some(boost::asio::buffer(sink), ec);
    if (ec == boost::asio::error::would_block) {
      if (std::chrono::steady_clock::now() > deadline) break;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      continue;
    }
    if (ec || n == 0) break;
  }
  client.close(ec);
}

// Waits until `gone()`; past 5 s (answers in flight with the stand-in have
// had their time) it is a leak, and the process aborts.
inline void AbortUnlessGoneSoon(const std::function<bool()>& gone) {
  const auto gone_by = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!gone()) {
    if (std::chrono::steady_clock::now() > gone_by) std::abort();
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

}  // namespace im::fuzz
