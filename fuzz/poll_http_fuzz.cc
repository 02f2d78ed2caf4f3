// libFuzzer target: im-access's HTTP long-poll port, bytes in. Each input
// is what one client sends on a fresh connection to a real
// PollHttpConnection (HTTP parsing, pipelining, the endpoints, tokens), whose
// sessions are real Connections over PollMailboxes, forwarding to a stand-in
// logic in this process over gRPC. The stand-in answers a login with the
// token "t" + username (so a later "Authorization: Bearer t<name>" names
// that session) unless the username starts with "x", fails a request whose
// req_id is divisible by 7, and answers others empty, with the request's
// req_id as logic does (a long-poll request's answer is found by it). The client shuts down
// its side after the input and reads until the server closes. Whatever
// arrives, nothing may crash or trip a sanitizer, and the HTTP connection
// must be gone once the client is (checked: no socket reserved in the
// registry). Sessions outlive their HTTP connections by design; they end at
// the idle timeout.

// clang-format off
#include <utility>  // Boost 1.74's Asio uses std::exchange without including it (C++20)
#include <boost/asio.hpp>
// clang-format on
#include <grpcpp/server_builder.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <thread>

#include "access/connection.h"
#include "access/connection_registry.h"
#include "access/logic_client.h"
#include "access/login_admission.h"
#include "access/poll_http_connection.h"
#include "access/poll_sessions.h"
#include "common/internal_tls.h"
#include "common/logging.h"
#include "common/stream_server.h"
#include "logic.grpc.pb.h"

namespace {

namespace asio = boost::asio;
using namespace im;
using std::chrono::milliseconds;

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
    response->mutable_frame()->set_req_id(frame.req_id());  // as logic's dispatcher does
    if (frame.req_id() % 7 == 0) return done(absl::UnavailableError("stand-in says no"));
    if (frame.has_login()) {
      if (frame.login().username().rfind('x', 0) == 0) {
        return done(absl::UnauthenticatedError("wrong username or password"));
      }
      response->mutable_frame()->mutable_login()->set_user_id(1);
      response->mutable_frame()->mutable_login()->set_session_token("t" +
                                                                    frame.login().username());
      response->mutable_bind()->set_user_id(1);
      response->mutable_bind()->set_username(frame.login().username());
      response->mutable_bind()->set_device_id(frame.login().device_id());
      response->mutable_bind()->set_route_epoch(1);
    }
    done(absl::OkStatus());
  }

  common::StreamServer<internal::HandleCalls, internal::HandleResults> stream_{Answer};
};

// Everything that lives across inputs: the stand-in logic, one network
// thread, a listening socket the connections come from, the sessions.
struct Harness {
  Harness() {
    common::InitLogging(std::getenv("IM_FUZZ_LOG") ? std::getenv("IM_FUZZ_LOG") : "error");
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &logic_port);
    builder.RegisterService(&logic);
    server = builder.BuildAndStart();
    if (!server || logic_port == 0) std::abort();
    logic_client = std::make_unique<access::LogicClient>(
        "127.0.0.1:" + std::to_string(logic_port), common::InternalCredentials::Insecure(),
        milliseconds(2000));
    sessions = std::make_unique<access::PollSessions>(options, logic_client.get(), &registry,
                                                      &admission);
    acceptor.open(asio::ip::tcp::v4());
    acceptor.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor.listen();
    io_thread = std::thread([this] { io.run(); });
  }

  StandInLogic logic;
  int logic_port = 0;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<access::LogicClient> logic_client;
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  asio::ip::tcp::acceptor acceptor{io};
  std::thread io_thread;
  common::Metrics metrics;
  access::ConnectionCounters counters{&metrics};
  access::ConnectionRegistry registry{100000, 0};
  access::LoginAdmission admission{1e9, 1e9, 0};
  const access::ConnectionOptions options{"fuzz-node",
                                          "127.0.0.1:1",
                                          64 * 1024,
                                          4 * 1024,
                                          milliseconds(2000),
                                          milliseconds(3000),
                                          256 * 1024,
                                          16,
                                          &counters};
  const access::PollEndpointOptions poll_options{"/poll", milliseconds(100), milliseconds(2000),
                                                 64 * 1024};
  std::unique_ptr<access::PollSessions> sessions;
};

Harness& TheHarness() {
  static Harness* harness = new Harness();  // lives until the process ends
  return *harness;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Harness& h = TheHarness();
  boost::system::error_code ec;
  asio::ip::tcp::socket client(h.io);
  do {  // a signal (say, SIGCHLD) can interrupt it: try again
    client.close(ec);
    client.connect(h.acceptor.local_endpoint(), ec);
  } while (ec == asio::error::interrupted);
  if (ec) std::abort();
  access::Connection::Socket accepted(h.io);
  do {
    h.acceptor.accept(accepted, ec);  // already queued by connect
  } while (ec == asio::error::interrupted);
  if (ec) std::abort();
  std::make_shared<access::PollHttpConnection>(std::move(accepted), h.poll_options,
                                               h.sessions.get())
      ->Start();

  asio::write(client, asio::buffer(data, size), ec);
  client.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  // Read the answers until the server closes (so its writes never block).
  char sink[16384];
  client.non_blocking(true);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    const std::size_t n = client.read_some(asio::buffer(sink), ec);
    if (ec == asio::error::would_block) {
      if (std::chrono::steady_clock::now() > deadline) break;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      continue;
    }
    if (ec || n == 0) break;
  }
  client.close(ec);
  // The HTTP connection must be gone once the client is: give answers in
  // flight with the stand-in their time, then it is a leak.
  const auto gone_by = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (h.registry.reserved() != 0) {
    if (std::chrono::steady_clock::now() > gone_by) std::abort();
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return 0;
}
