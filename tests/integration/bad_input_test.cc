// Misbehaving clients and failing back ends: errors are answered, the bad
// connection (only) is closed, the daemons carry on and recover.

#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <optional>
#include <random>
#include <thread>

#include "common/frame_codec.h"
#include "tests/integration/cli_runner.h"
#include "tests/integration/cluster_env.h"
#include "tests/support/http_request.h"

namespace im::testing {
namespace {

using absl::StatusCode;
using std::chrono::milliseconds;
using std::chrono::seconds;

// Waits for the server's closing error frame and the close itself.
absl::Status ExpectClosedWithError(cli::ImClient& client, milliseconds within) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  while (client.connected() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_FALSE(client.connected()) << "the server kept the connection open";
  return client.close_status();
}

// A logged-in pair that must keep working while others misbehave.
struct Bystanders {
  Bystanders() : alice(UniqueName("calm")), bob(UniqueName("calm")) {
    a = RegisterAndLogin(alice);
    b = RegisterAndLogin(bob);
  }
  void ExpectStillWorking() {
    auto sent = a->SendText(bob, "still here");
    ASSERT_TRUE(sent.ok()) << sent.status();
    auto event = b->NextEvent(seconds(5));
    ASSERT_TRUE(event.ok()) << event.status();
    EXPECT_EQ(event->message().msg_id(), sent->msg_id());
  }
  std::string alice, bob;
  std::unique_ptr<cli::ImClient> a, b;
};

TEST(BadInputTest, OversizeLengthPrefixGetsAnErrorFrameAndOnlyThatConnectionCloses) {
  Bystanders others;
  auto bad = Connect();
  ASSERT_TRUE(bad->SendRaw(std::string("\x7f\xff\xff\xff", 4)).ok());
  absl::Status status = ExpectClosedWithError(*bad, seconds(5));
  EXPECT_EQ(status.code(), StatusCode::kResourceExhausted) << status;
  others.ExpectStillWorking();
}

// A frame of `body_bytes` that parses as a ClientFrame with no known request:
// req_id 9 and unknown field 99 padded to size.
std::string PaddedUnknownFrame(std::size_t body_bytes) {
  std::string body("\x08\x09", 2);
  const std::size_t pad = body_bytes - 2 - 2 - 3;  // tag (2) + 3-byte length
  body += std::string("\x9a\x06", 2);
  body += static_cast<char>(0x80 | (pad & 0x7f));
  body += static_cast<char>(0x80 | ((pad >> 7) & 0x7f));
  body += static_cast<char>((pad >> 14) & 0x7f);
  body += std::string(pad, 'x');
  const auto n = static_cast<std::uint32_t>(body.size());
  const char header[4] = {static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                          static_cast<char>(n >> 8), static_cast<char>(n)};
  return std::string(header, 4) + body;
}

TEST(BadInputTest, LargeFrameBeforeLoginIsRefusedAndAllowedAfterLogin) {
  Bystanders others;
  // A header announcing 20 KiB (over the 16 KiB allowed before login) is
  // refused at once: the server never buffers such a frame for a stranger.
  auto stranger = Connect();
  ASSERT_TRUE(stranger->SendRaw(std::string("\x00\x00\x50\x00", 4)).ok());
  absl::Status status = ExpectClosedWithError(*stranger, seconds(5));
  EXPECT_EQ(status.code(), StatusCode::kResourceExhausted) << status;
  EXPECT_NE(status.message().find("before login"), std::string_view::npos) << status;

  // After login the same size is within max_frame_bytes (64 KiB here).
  const std::string frame = PaddedUnknownFrame(20 * 1024);
  client::ClientFrame parsed;
  ASSERT_TRUE(parsed.ParseFromString(frame.substr(4)));
  ASSERT_EQ(parsed.body_case(), client::ClientFrame::BODY_NOT_SET);
  ASSERT_TRUE(others.a->SendRaw(frame).ok());
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_TRUE(others.a->connected());
  others.ExpectStillWorking();
}

// Restarts access node 1 with caps, checks them, and restores it.
TEST(BadInputTest, ConnectionCapsRefuseWithAnErrorFrameAndFreeUpOnClose) {
  TestCluster& cluster = SharedCluster();
  cluster.StopAccess(1);
  cluster.StartAccess(1, {"--max_connections=4", "--max_connections_per_address=3"});
  std::vector<std::unique_ptr<cli::ImClient>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(Connect(1));
    client::ClientFrame ping;
    ping.mutable_ping();
    ASSERT_TRUE(held.back()->Request(ping).ok()) << "connection " << i;
  }
  auto fourth = Connect(1);
  absl::Status status = ExpectClosedWithError(*fourth, seconds(5));
  EXPECT_EQ(status.code(), StatusCode::kResourceExhausted) << status;
  EXPECT_NE(status.message().find("from your address"), std::string_view::npos) << status;

  held.pop_back();  // one closes: its place is free again
  std::this_thread::sleep_for(milliseconds(300));
  auto again = Connect(1);
  client::ClientFrame ping;
  ping.mutable_ping();
  EXPECT_TRUE(again->Request(ping).ok());
  EXPECT_TRUE(held.front()->connected());
  held.clear();
  again.reset();

  // The cap on the whole process.
  cluster.StopAccess(1);
  cluster.StartAccess(1, {"--max_connections=2", "--max_connections_per_address=0"});
  auto first = Connect(1), second = Connect(1);
  ASSERT_TRUE(second->Request(ping).ok());
  auto third = Connect(1);
  status = ExpectClosedWithError(*third, seconds(5));
  EXPECT_EQ(status.code(), StatusCode::kResourceExhausted) << status;
  EXPECT_NE(status.message().find("server full"), std::string_view::npos) << status;
  EXPECT_TRUE(first->connected());

  cluster.StopAccess(1);
  cluster.StartAccess(1);
}

TEST(BadInputTest, BodyThatIsNotAFrameGetsAnErrorFrameAndCloses) {
  Bystanders others;
  auto bad = Connect();
  ASSERT_TRUE(bad->SendRaw(std::string("\x00\x00\x00\x05\xff\xff\xff\xff\xff", 9)).ok());
  absl::Status status = ExpectClosedWithError(*bad, seconds(5));
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status;
  others.ExpectStillWorking();
}

// A string field with invalid UTF-8 makes the frame malformed; libprotobuf's
// own complaint about it goes to the debug log, never straight to stderr,
// where every such frame would add a line an operator cannot turn off.
TEST(BadInputTest, InvalidUtf8IsAMalformedFrameAndNoRawProtobufLogLine) {
  Bystanders others;
  const std::string log = SharedCluster().dir() + "/access-1.log";
  const std::size_t before = ReadFile(log).size();
  auto bad = Connect();
  const std::string login = common::EncodeFrame(Frame([](client::ClientFrame& f) {
    f.set_req_id(1);
    f.mutable_login()->set_username(std::string("\xff\xfe", 2));
    f.mutable_login()->set_password(kPassword);
  }));
  ASSERT_TRUE(bad->SendRaw(login).ok());
  const absl::Status status = ExpectClosedWithError(*bad, seconds(5));
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status;
  EXPECT_EQ(status.message(), "malformed frame");
  const std::string logged = ReadFile(log).substr(before);
  EXPECT_EQ(logged.find("[libprotobuf"), std::string::npos) << logged;
  EXPECT_NE(logged.find("event=protobuf_log"), std::string::npos) << logged;
  others.ExpectStillWorking();
}

TEST(BadInputTest, RandomBytesCloseTheConnectionNotTheDaemon) {
  Bystanders others;
  std::mt19937 rng(7);
  for (int round = 0; round < 20; ++round) {
    auto bad = Connect();
    std::string junk(1 + rng() % 3000, '\0');
    for (auto& c : junk) c = static_cast<char>(rng());
    bad->SendRaw(junk).IgnoreError();
    // Junk is closed on, which is checked; which error frame came first varies.
    ExpectClosedWithError(*bad, seconds(5)).IgnoreError();
  }
  others.ExpectStillWorking();
}

TEST(BadInputTest, EmptyOrUnknownRequestGetsAnErrorAndTheConnectionStays) {
  auto client = Connect();
  client::ClientFrame empty;
  auto response = client->Call(empty);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status().code(), static_cast<int>(StatusCode::kUnimplemented));

  // A request type from a newer protocol: req_id 9 plus unknown field 99.
  const std::string unknown("\x08\x09\x9a\x06\x02hi", 7);
  client::ClientFrame probe;  // sanity: it parses and has no known body
  ASSERT_TRUE(probe.ParseFromString(unknown));
  ASSERT_EQ(probe.body_case(), client::ClientFrame::BODY_NOT_SET);
  ASSERT_TRUE(client->SendRaw(std::string("\x00\x00\x00\x07", 4) + unknown).ok());
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_TRUE(client->connected());

  client::ClientFrame ping;
  ping.mutable_ping();
  auto pong = client->Request(ping);
  ASSERT_TRUE(pong.ok()) << pong.status();
  EXPECT_TRUE(pong->has_pong());
}

// Registers cost a password hash each: a connection that has not logged in
// may keep only 4 requests in flight, so one stranger's pipeline of registers
// cannot queue ahead of other people's logins.
TEST(BadInputTest, AStrangersPipelineIsCappedBeforeLogin) {
  auto stranger = Connect();
  std::vector<client::ClientFrame> registers;
  const std::string prefix = UniqueName("pipe");
  for (int i = 0; i < 10; ++i) {
    registers.push_back(Frame([&](client::ClientFrame& f) {
      f.mutable_register_user()->set_username(prefix + "_" + std::to_string(i));
      f.mutable_register_user()->set_password(kPassword);
    }));
  }
  auto answers = stranger->CallAll(std::move(registers));
  ASSERT_TRUE(answers.ok()) << answers.status();
  int created = 0, refused = 0;
  for (const auto& a : *answers) {
    if (a.status().code() == 0) ++created;
    if (a.status().code() == static_cast<int>(StatusCode::kResourceExhausted)) {
      ++refused;
      EXPECT_NE(a.status().message().find("before login"), std::string::npos)
          << a.status().message();
    }
  }
  EXPECT_GE(created, 4);
  EXPECT_GE(refused, 1);
  EXPECT_EQ(created + refused, 10);
  EXPECT_TRUE(stranger->connected());
  // Someone else logs in meanwhile, and the stranger can go on once answered.
  Bystanders others;
  others.ExpectStillWorking();
}

TEST(BadInputTest, RequestsBeforeLoginAreUnauthenticated) {
  auto client = Connect();
  auto send = client->SendText("anyone", "hi");
  EXPECT_EQ(send.status().code(), StatusCode::kUnauthenticated);
  client::ClientFrame ping;
  ping.mutable_ping();
  EXPECT_TRUE(client->Request(ping).ok());
  EXPECT_TRUE(client->connected());
}

TEST(BadInputTest, ConnectionThatNeverLogsInIsClosedAtTheLoginTimeout) {
  auto client = Connect();
  const auto start = std::chrono::steady_clock::now();
  absl::Status status = ExpectClosedWithError(*client, seconds(10));
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(status.code(), StatusCode::kDeadlineExceeded) << status;
  EXPECT_GE(waited, milliseconds(1500));  // configured 2000 ms
}

TEST(BadInputTest, SilentConnectionIsClosedAtTheIdleTimeoutAndPingsKeepItOpen) {
  auto silent = RegisterAndLogin(UniqueName("quiet"));
  auto chatty = RegisterAndLogin(UniqueName("chatty"));
  chatty->StartHeartbeat(milliseconds(1000));
  absl::Status status = ExpectClosedWithError(*silent, seconds(12));  // configured 5000 ms
  EXPECT_EQ(status.code(), StatusCode::kDeadlineExceeded) << status;
  EXPECT_TRUE(chatty->connected());
}

// Retries `send` until it succeeds (the daemons reconnect within seconds).
absl::Status SendUntilOk(cli::ImClient& client, const std::string& to) {
  absl::Status last;
  for (int i = 0; i < 50; ++i) {
    last = client.SendText(to, "after recovery").status();
    if (last.ok()) return last;
    std::this_thread::sleep_for(milliseconds(200));
  }
  return last;
}

// Stops a back end under a logged-in pair: a send is answered UNAVAILABLE
// promptly (no hang), the connection stays, and after `start` sends work again.
void ExpectUnavailableThenRecovery(const std::function<void()>& stop,
                                   const std::function<void()>& start,
                                   const std::function<void(Bystanders&)>& while_down = {}) {
  Bystanders pair;
  pair.a->StartHeartbeat(milliseconds(1000));
  stop();
  const auto started = std::chrono::steady_clock::now();
  auto send = pair.a->SendText(pair.bob, "back end is down");
  EXPECT_EQ(send.status().code(), StatusCode::kUnavailable) << send.status();
  EXPECT_LT(std::chrono::steady_clock::now() - started, seconds(8)) << "the client hung";
  EXPECT_TRUE(pair.a->connected());
  if (while_down) while_down(pair);
  start();
  EXPECT_TRUE(SendUntilOk(*pair.a, pair.bob).ok());
}

TEST(BadInputTest, StorageDownGivesUnavailableAndTheClusterRecovers) {
  ExpectUnavailableThenRecovery([] { SharedCluster().StopStorage(); },
                                [] { SharedCluster().StartStorage(); });
}

TEST(BadInputTest, LogicDownGivesUnavailableAndTheClusterRecovers) {
  ExpectUnavailableThenRecovery(
      [] { SharedCluster().StopLogic(); }, [] { SharedCluster().StartLogic(); },
      [](Bystanders& pair) {
        auto fresh = Connect();
        EXPECT_EQ(fresh->Login(pair.alice, kPassword).status().code(), StatusCode::kUnavailable);
      });
}

// Access node 1 restarted with `flags` for one test, and restarted without
// them afterwards, whether the test passed or not.
class AccessNodeRestartedWith {
 public:
  explicit AccessNodeRestartedWith(const std::vector<std::string>& flags) {
    SharedCluster().StopAccess(1);
    SharedCluster().StartAccess(1, flags);
  }
  ~AccessNodeRestartedWith() {
    SharedCluster().StopAccess(1);
    SharedCluster().StartAccess(1);
  }
};

// A logged-in client that stops reading while messages keep coming: once
// more than max_queued_bytes wait unsent, the node drops them (so its memory
// stays bounded), sends a Kick that says why and asks for a reconnect, and
// closes. The client finds every message by sync afterwards.
TEST(BadInputTest, AClientThatStopsReadingIsKickedWithAReasonAndLosesNothing) {
  constexpr int kQueueBytes = 64 * 1024;
  AccessNodeRestartedWith small_queue({"--max_queued_bytes=" + std::to_string(kQueueBytes)});
  const std::string metrics = SharedCluster().access_metrics_address(1);
  const std::string cut = "im_access_slow_consumers_cut_total";
  const double cut_before = std::max(0.0, MetricValue(HttpGet(metrics, "/metrics"), cut));
  const std::string slow = UniqueName("slow"), fast = UniqueName("fast");
  auto writer = RegisterAndLogin(fast, 0);
  ASSERT_TRUE(Connect(1)->Register(slow, kPassword).ok());

  const int fd = ConnectRaw(SharedCluster().access_address(1), 4096);
  ASSERT_GE(fd, 0);
  const std::string login = common::EncodeFrame(Frame([&](client::ClientFrame& f) {
    f.set_req_id(1);
    f.mutable_login()->set_protocol_version(1);
    f.mutable_login()->set_username(slow);
    f.mutable_login()->set_password(kPassword);
    f.mutable_login()->set_device_id("phone");
  }));
  ASSERT_EQ(::send(fd, login.data(), login.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(login.size()));
  common::FrameDecoder decoder(1 << 20);
  const auto answer = ReadFrame(fd, decoder, seconds(5));
  ASSERT_TRUE(answer.has_value() && answer->has_login()) << "no login answer";

  // It reads nothing more while 60 KB messages pile up for it, until the
  // node has cut it (the kernel's socket buffers take their share first).
  const std::string text(60 * 1024, 'm');
  int sent = 0;
  for (; sent < 400; ++sent) {
    ASSERT_TRUE(writer->SendText(slow, text + std::to_string(sent)).ok());
    if (sent % 20 == 19 && MetricValue(HttpGet(metrics, "/metrics"), cut) > cut_before) break;
  }
  ASSERT_GT(MetricValue(HttpGet(metrics, "/metrics"), cut), cut_before)
      << "not cut after " << sent << " messages";
  ++sent;

  // Now it reads: whatever had reached its socket, then the Kick, then EOF.
  std::optional<client::ServerFrame> last;
  while (auto frame = ReadFrame(fd, decoder, seconds(5))) last = frame;
  ::close(fd);
  ASSERT_TRUE(last.has_value() && last->has_kick()) << "the last frame was not a Kick";
  EXPECT_TRUE(last->kick().reconnect());
  EXPECT_NE(last->kick().reason().find("stopped reading"), std::string::npos)
      << last->kick().reason();

  // More arrive while it is away, 6 MB in all; reconnected (to the other
  // node: this one's queue is too small for a sync page), the device gets
  // every message by sync, in pages of at most 1 MiB (one page of 6 MB would
  // not pass gRPC's 4 MiB limit between storage and logic).
  for (; sent < 100; ++sent) ASSERT_TRUE(writer->SendText(slow, text + std::to_string(sent)).ok());
  auto again = Connect(0);
  ASSERT_TRUE(again->Login(slow, kPassword, "phone").ok());
  const auto synced = SyncAll(*again);
  EXPECT_EQ(static_cast<int>(synced.size()), sent);
  for (int i = 0; i < static_cast<int>(synced.size()); ++i) {
    EXPECT_EQ(synced[i].text(), text + std::to_string(i)) << "message " << i;
  }
}

// A connection that sends faster than max_bytes_per_second is read more
// slowly: nothing is refused or lost, and another connection on the same
// node is not held up meanwhile.
TEST(BadInputTest, AConnectionSendingPastItsByteRateIsReadMoreSlowly) {
  constexpr int kRate = 64 * 1024;
  AccessNodeRestartedWith slow_reads({"--max_bytes_per_second=" + std::to_string(kRate)});
  const std::string metrics = SharedCluster().access_metrics_address(1);
  const std::string paused = "im_access_reads_paused_total";
  const double paused_before = std::max(0.0, MetricValue(HttpGet(metrics, "/metrics"), paused));
  const std::string fast = UniqueName("fast"), peer = UniqueName("peer");
  auto sender = RegisterAndLogin(fast, 1);
  auto receiver = RegisterAndLogin(peer, 0);
  auto bystander = RegisterAndLogin(UniqueName("calm"), 1);

  // 4 x 60 KB at 64 KB/s is 3.75 s of reading, less the burst (a second's
  // worth) and the last read (up to 64 KB, paid for after it): at least
  // 1.75 s, where it takes a fraction of a second unlimited.
  const std::string text(60 * 1024, 'r');
  const auto start = std::chrono::steady_clock::now();
  std::thread sending([&] {
    for (int i = 0; i < 4; ++i) EXPECT_TRUE(sender->SendText(peer, text + std::to_string(i)).ok());
  });
  std::this_thread::sleep_for(milliseconds(500));
  const auto ping_start = std::chrono::steady_clock::now();
  EXPECT_TRUE(bystander->Request(Frame([](auto& f) { f.mutable_ping(); })).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - ping_start, seconds(1))
      << "another connection on the node was held up";
  sending.join();
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(1500))
      << "the rate was not applied";
  EXPECT_GT(MetricValue(HttpGet(metrics, "/metrics"), paused), paused_before);

  std::vector<std::string> got;
  for (const auto& m : SyncAll(*receiver)) got.push_back(m.text());
  ASSERT_EQ(got.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(got[i], text + std::to_string(i));
}

}  // namespace
}  // namespace im::testing
