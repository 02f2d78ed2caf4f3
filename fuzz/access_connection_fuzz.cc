// libFuzzer target: im-access's request path, bytes in. Each input is what
// one client sends on a fresh TCP connection to a real Connection (framing,
// the login gate, pipelining and its limits, ack merging, answers, closes),
// whose LogicClient talks gRPC to a stand-in logic in this process
// (fuzz/access_harness.h: a login succeeds unless its username starts with
// "x", so later frames run as a logged-in connection; a request whose req_id
// is divisible by 7 fails UNAVAILABLE). Whatever arrives, nothing may crash
// or trip a sanitizer, and the connection must end once the client hangs up
// (checked: the registry is empty again).

#include <cstdint>
#include <cstdlib>
#include <memory>

#include "access/connection.h"
#include "access/connection_registry.h"
#include "fuzz/access_harness.h"

namespace {

namespace asio = boost::asio;
using namespace im;
using std::chrono::milliseconds;

// The harness, and what the connections under test share.
struct Harness : fuzz::AccessHarness {
  access::ConnectionRegistry registry{1000, 0};
  const access::ConnectionOptions options{"fuzz-node",
                                          "127.0.0.1:1",
                                          64 * 1024,
                                          4 * 1024,
                                          milliseconds(10000),
                                          milliseconds(10000),
                                          256 * 1024,
                                          16,
                                          &counters};
  std::uint64_t next_id = 1;
};

Harness& TheHarness() {
  static Harness* harness = new Harness();  // lives until the process ends
  return *harness;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Harness& h = TheHarness();
  asio::ip::tcp::socket client(h.io);
  access::Connection::Socket accepted = h.Accept(client);
  const std::uint64_t id = h.next_id++;
  auto conn = std::make_shared<access::Connection>(std::move(accepted), id, h.options,
                                                   h.logic_client.get(), &h.registry,
                                                   &h.admission);
  if (!h.registry.Add(id, conn, {}).ok()) std::abort();
  asio::post(h.io, [conn] { conn->Start(); });
  conn.reset();
  fuzz::SendAndReadToTheEnd(client, data, size);
  // The connection must be gone once the client is.
  fuzz::AbortUnlessGoneSoon([&h] { return h.registry.size() == 0; });
  return 0;
}
