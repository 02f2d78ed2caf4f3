// libFuzzer target: im-access's HTTP long-poll port, bytes in. Each input
// is what one client sends on a fresh connection to a real
// PollHttpConnection (HTTP parsing, pipelining, the endpoints, tokens), whose
// sessions are real Connections over PollMailboxes, forwarding to the
// stand-in logic of fuzz/access_harness.h over gRPC (a login is answered
// with the token "t" + username, so "Authorization: Bearer t<name>" names
// that session afterwards). The client shuts down its side after the input
// and reads until the server closes. Whatever arrives, nothing may crash or
// trip a sanitizer, and the HTTP connection must be gone once the client is
// (checked: no socket reserved in the registry). Sessions outlive their HTTP
// connections by design; they end at the idle timeout.

#include <cstdint>
#include <memory>

#include "access/connection_registry.h"
#include "access/poll_http_connection.h"
#include "access/poll_sessions.h"
#include "fuzz/access_harness.h"

namespace {

namespace asio = boost::asio;
using namespace im;
using std::chrono::milliseconds;

// The harness, and what the connections and sessions under test share.
struct Harness : fuzz::AccessHarness {
  access::ConnectionRegistry registry{100000, 0};
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
  access::PollSessions sessions{options, logic_client.get(), &registry, &admission};
};

Harness& TheHarness() {
  static Harness* harness = new Harness();  // lives until the process ends
  return *harness;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Harness& h = TheHarness();
  asio::ip::tcp::socket client(h.io);
  std::make_shared<access::PollHttpConnection>(h.Accept(client), h.poll_options, &h.sessions)
      ->Start();
  fuzz::SendAndReadToTheEnd(client, data, size);
  // The HTTP connection must be gone once the client is.
  fuzz::AbortUnlessGoneSoon([&h] { return h.registry.reserved() == 0; });
  return 0;
}
