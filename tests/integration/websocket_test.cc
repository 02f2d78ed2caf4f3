// WebSocket on im-access: access node 1 restarted with a WebSocket port
// (`websocket_listen`) beside its framed-TCP one. A browser-like client logs
// in over WebSocket and chats with a TCP user on node 0 both ways, while the
// same user is online over TCP on another device, and syncs;
// requests that are not upgrades, upgrades at another path, framed TCP bytes,
// silent connections and oversized messages are refused or closed, and the
// port carries on. im-cli speaks WebSocket too (--server ws://...). The
// node serves a web client's files (web_root) on the same port.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "common/websocket_codec.h"
#include "tests/integration/cli_runner.h"
#include "tests/integration/cluster_env.h"
#include "tests/support/http_request.h"
#include "tests/support/test_env.h"
#include "tests/support/websocket_client.h"

namespace im::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kPath[] = "/im";

// A WebSocket client at the frame level (common/websocket_codec), for the
// control frames and protocol errors a well-behaved client never sends.
class RawWebSocket {
 public:
  // Connects to 127.0.0.1:`port` and upgrades at `path`; false if it cannot.
  bool Open(int port, const std::string& path) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    timeval timeout{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<std::uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) return false;
    const std::string key = common::NewWebSocketKey();
    if (!Send(common::WebSocketUpgradeRequest("127.0.0.1", path, key))) return false;
    std::string received;
    std::size_t head = 0;
    for (;;) {
      char buffer[4096];
      const ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) return false;
      received.append(buffer, static_cast<std::size_t>(n));
      if (auto answer = common::CheckWebSocketUpgrade(received, key, &head)) {
        decoder_.Append(std::string_view(received).substr(head));
        return answer->ok();
      }
    }
  }
  ~RawWebSocket() {
    if (fd_ >= 0) close(fd_);
  }
  bool Send(const std::string& bytes) {
    return send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }
  // The next message the server sends; nothing once it closed (or after 5 s).
  std::optional<common::WebSocketDecoder::Message> Next() {
    for (;;) {
      if (auto message = decoder_.Next()) return message;
      char buffer[4096];
      const ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) return std::nullopt;
      decoder_.Append(std::string_view(buffer, static_cast<std::size_t>(n)));
    }
  }
  // Whether the server closed the connection (rather than stayed silent).
  bool ClosedByServer() {
    char byte;
    return recv(fd_, &byte, 1, 0) == 0;
  }

 private:
  int fd_ = -1;
  common::WebSocketDecoder decoder_;
};

std::string Masked(std::uint8_t opcode, const std::string& payload) {
  return common::EncodeWebSocketFrame(opcode, payload, 0x12345678);
}

class WebSocketTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    port_ = PickFreePort();
    const std::string web = SharedCluster().dir() + "/web";
    ASSERT_EQ(std::system(("mkdir -p " + web).c_str()), 0);
    std::ofstream(web + "/index.html") << "<!doctype html><title>chat</title>";
    std::ofstream(web + "/app.js") << "start();";
    SharedCluster().StopAccess(1);
    SharedCluster().StartAccess(1, {"--websocket_listen=127.0.0.1:" + std::to_string(port_),
                                    std::string("--websocket_path=") + kPath,
                                    "--tls.handshake_timeout_ms=500", "--web_root=" + web});
    ASSERT_TRUE(WaitForPort(port_, seconds(10)));
  }
  static void TearDownTestSuite() {
    SharedCluster().StopAccess(1);
    SharedCluster().StartAccess(1);
  }

  static std::string Address() { return "127.0.0.1:" + std::to_string(port_); }

  // Registers `name` on `ws` and logs it in there, as device "browser".
  static void RegisterAndLogIn(WebSocketClient& ws, const std::string& name) {
    auto registered = ws.Call(Frame([&](auto& f) {
                                f.mutable_register_user()->set_username(name);
                                f.mutable_register_user()->set_password(kPassword);
                              }),
                              seconds(5));
    ASSERT_TRUE(registered.ok()) << registered.status();
    ASSERT_EQ(registered->status().code(), 0) << registered->status().message();
    auto login = ws.Call(Frame([&](auto& f) {
                           f.mutable_login()->set_username(name);
                           f.mutable_login()->set_password(kPassword);
                           f.mutable_login()->set_device_id("browser");
                         }),
                         seconds(5));
    ASSERT_TRUE(login.ok()) << login.status();
    ASSERT_EQ(login->status().code(), 0) << login->status().message();
  }

  // A plain WebSocket client registered and logged in as `name`.
  static std::unique_ptr<WebSocketClient> LoggedIn(const std::string& name) {
    auto ws = WebSocketClient::Connect(port_, kPath);
    EXPECT_TRUE(ws.ok()) << ws.status();
    if (!ws.ok()) return nullptr;
    RegisterAndLogIn(**ws, name);
    return std::move(*ws);
  }

  static int port_;
};
int WebSocketTest::port_ = 0;

TEST_F(WebSocketTest, ABrowserClientChatsWithATcpUserBothWaysAndSyncs) {
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob");
  auto web = LoggedIn(alice);
  ASSERT_NE(web, nullptr);
  auto tcp = RegisterAndLogin(bob, 0);
  ASSERT_NE(tcp, nullptr);
  // Alice is also online over TCP, on her phone.
  auto phone = Connect(0);
  ASSERT_NE(phone, nullptr);
  ASSERT_TRUE(phone->Login(alice, kPassword, "phone").ok());

  auto sent = web->Call(Frame([&](auto& f) {
                          f.mutable_send_message()->set_to_user(bob);
                          f.mutable_send_message()->set_text("from the browser");
                          f.mutable_send_message()->set_client_msg_id("w1");
                        }),
                        seconds(5));
  ASSERT_TRUE(sent.ok()) << sent.status();
  ASSERT_EQ(sent->status().code(), 0) << sent->status().message();
  auto got = NextEventMatching(*tcp, [](const auto& f) { return f.has_message(); });
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->message().text(), "from the browser");

  // A reply larger than one TCP segment comes back as one pushed message.
  const std::string big(60 * 1024, 'y');
  ASSERT_TRUE(tcp->SendText(alice, big).ok());
  absl::StatusOr<client::ServerFrame> pushed;
  do {
    pushed = web->Receive(seconds(5));
  } while (pushed.ok() && !pushed->has_message());
  ASSERT_TRUE(pushed.ok()) << pushed.status();
  EXPECT_EQ(pushed->message().text(), big);
  EXPECT_EQ(pushed->message().sender(), bob);
  auto on_phone = NextEventMatching(*phone, [](const auto& f) { return f.has_message(); });
  ASSERT_TRUE(on_phone.ok()) << on_phone.status();
  EXPECT_EQ(on_phone->message().text(), "from the browser") << "her own send, on her other device";

  // Sync over WebSocket gives the same conversation.
  auto synced = web->Call(Frame([](auto& f) { f.mutable_sync()->set_limit(100); }), seconds(5));
  ASSERT_TRUE(synced.ok()) << synced.status();
  ASSERT_EQ(synced->sync().messages_size(), 1);  // what alice has not acked: bob's reply
  EXPECT_EQ(synced->sync().messages(0).text(), big);
}

TEST_F(WebSocketTest, ImCliChatsOverWebSocketAndNamesAWrongPath) {
  const std::string url = "ws://" + Address() + kPath;
  const std::string carol = UniqueName("carol"), dan = UniqueName("dan");
  auto tcp = RegisterAndLogin(dan, 0);
  ASSERT_NE(tcp, nullptr);
  CliResult registered = RunCli({"--server", url, "register", carol, "--password", kPassword});
  ASSERT_EQ(registered.exit_code, 0) << registered.err;
  CliResult sent = RunCli({"--server", url, "--user", carol, "--password", kPassword, "send", dan,
                           "typed into im-cli, carried by WebSocket"});
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  auto got = NextEventMatching(*tcp, [](const auto& f) { return f.has_message(); });
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->message().text(), "typed into im-cli, carried by WebSocket");
  EXPECT_EQ(got->message().sender(), carol);

  CliResult lost = RunCli({"--server", "ws://" + Address() + "/chat", "register", UniqueName("x"),
                           "--password", kPassword});
  EXPECT_EQ(lost.exit_code, 3) << lost.out << lost.err;
  EXPECT_NE(lost.err.find("WebSocket upgrade at /chat failed: HTTP/1.1 404 Not Found"),
            std::string::npos)
      << lost.err;
}

TEST_F(WebSocketTest, TheWebClientsFilesAreServedBesideTheWebSocket) {
  const std::string page = HttpGet(Address(), "/");
  EXPECT_NE(page.find("HTTP/1.1 200 OK"), std::string::npos) << page;
  EXPECT_NE(page.find("Content-Type: text/html; charset=utf-8"), std::string::npos) << page;
  EXPECT_NE(page.find("<!doctype html><title>chat</title>"), std::string::npos) << page;
  const std::string script = HttpGet(Address(), "/app.js");
  EXPECT_NE(script.find("Content-Type: text/javascript"), std::string::npos) << script;
  EXPECT_NE(script.find("start();"), std::string::npos) << script;
  for (const char* elsewhere : {"/missing.js", "/../web/index.html", "/web/app.js"}) {
    const std::string answer = HttpGet(Address(), elsewhere);
    EXPECT_NE(answer.find("404 Not Found"), std::string::npos) << elsewhere << ": " << answer;
  }
  // A POST of a page's name is not a GET: refused like any other request.
  const std::string posted =
      HttpRequest(Address(), "POST /app.js HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\n\r\n");
  EXPECT_NE(posted.find("404 Not Found"), std::string::npos) << posted;
  // The WebSocket path is still only for upgrades, and the port still chats.
  EXPECT_NE(HttpGet(Address(), kPath).find("400 Bad Request"), std::string::npos);
  auto web = LoggedIn(UniqueName("gina"));
  ASSERT_NE(web, nullptr);
}

TEST_F(WebSocketTest, RequestsThatAreNotUpgradesHereAreRefusedAndThePortCarriesOn) {
  const std::string plain = HttpGet(Address(), kPath);
  EXPECT_NE(plain.find("400 Bad Request"), std::string::npos) << plain;
  EXPECT_NE(plain.find("send an upgrade request"), std::string::npos) << plain;

  const std::string elsewhere = HttpRequest(
      Address(),
      "GET /chat HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
  EXPECT_NE(elsewhere.find("404 Not Found"), std::string::npos) << elsewhere;
  EXPECT_FALSE(WebSocketClient::Connect(port_, "/chat").ok());

  // A framed-TCP client at the WebSocket port: not HTTP, so it is closed.
  const int raw = ConnectRaw(Address());
  ASSERT_GE(raw, 0);
  const std::string ping = common::EncodeFrame(Frame([](auto& f) { f.mutable_ping(); }));
  ASSERT_EQ(write(raw, ping.data(), ping.size()), static_cast<ssize_t>(ping.size()));
  char byte;
  timeval wait{5, 0};
  setsockopt(raw, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
  EXPECT_LE(read(raw, &byte, 1), 0) << "closed without a frame";
  close(raw);

  // A connection that never sends its upgrade is closed at the handshake
  // timeout (500 ms here), like an unfinished TLS handshake.
  const int silent = ConnectRaw(Address());
  ASSERT_GE(silent, 0);
  setsockopt(silent, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
  const auto opened = std::chrono::steady_clock::now();
  EXPECT_LE(read(silent, &byte, 1), 0) << "closed without an answer";
  EXPECT_LT(std::chrono::steady_clock::now() - opened, seconds(4));
  close(silent);

  auto ws = WebSocketClient::Connect(port_, kPath);
  ASSERT_TRUE(ws.ok()) << ws.status();
  auto pong = (*ws)->Call(Frame([](auto& f) { f.mutable_ping(); }), seconds(5));
  ASSERT_TRUE(pong.ok()) << pong.status();
  EXPECT_TRUE(pong->has_pong());
}

TEST_F(WebSocketTest, GarbageAndOversizedMessagesCloseOnlyTheirOwnConnection) {
  auto garbage = WebSocketClient::Connect(port_, kPath);
  ASSERT_TRUE(garbage.ok());
  ASSERT_TRUE((*garbage)->SendBytes("\xff\xff\xff not a protobuf").ok());
  auto answer = (*garbage)->Receive(seconds(5));
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->status().code(), static_cast<int>(absl::StatusCode::kInvalidArgument));
  EXPECT_FALSE((*garbage)->Receive(seconds(5)).ok()) << "closed after the error";

  // Over the pre-login frame limit (16 KiB): closed, as over TCP.
  auto big = WebSocketClient::Connect(port_, kPath);
  ASSERT_TRUE(big.ok());
  (void)(*big)->SendBytes(std::string(20 * 1024, 'x'));
  absl::StatusOr<client::ServerFrame> last;
  do {
    last = (*big)->Receive(seconds(5));
  } while (last.ok());
  EXPECT_EQ(last.status().code(), absl::StatusCode::kUnavailable) << last.status();

  const std::string carol = UniqueName("carol");
  auto fine = LoggedIn(carol);
  ASSERT_NE(fine, nullptr);
  auto pong = fine->Call(Frame([](auto& f) { f.mutable_ping(); }), seconds(5));
  ASSERT_TRUE(pong.ok()) << pong.status();
}

TEST_F(WebSocketTest, PingsAreAnsweredAndProtocolErrorsCloseTheConnection) {
  {
    RawWebSocket ws;
    ASSERT_TRUE(ws.Open(port_, kPath));
    ASSERT_TRUE(ws.Send(Masked(common::kWsPing, "are you there")));
    auto pong = ws.Next();
    ASSERT_TRUE(pong.has_value());
    EXPECT_EQ(pong->opcode, common::kWsPong);
    EXPECT_EQ(pong->payload, "are you there");
    // A ping between the fragments of a request, then the request's answer.
    client::ClientFrame ping;
    ping.set_req_id(7);
    ping.mutable_ping();
    const std::string body = ping.SerializeAsString();
    std::string fragmented =
        common::EncodeWebSocketFrame(common::kWsBinary, body.substr(0, 1), 0x01020304);
    fragmented[0] = static_cast<char>(common::kWsBinary);  // FIN off: more follows
    std::string last = Masked(common::kWsContinuation, body.substr(1));
    ASSERT_TRUE(ws.Send(fragmented + Masked(common::kWsPing, "again") + last));
    std::vector<std::uint8_t> opcodes;
    for (int i = 0; i < 2; ++i) {
      auto message = ws.Next();
      ASSERT_TRUE(message.has_value());
      opcodes.push_back(message->opcode);
      if (message->opcode == common::kWsBinary) {
        client::ServerFrame answer;
        ASSERT_TRUE(answer.ParseFromString(message->payload));
        EXPECT_EQ(answer.req_id(), 7u);
        EXPECT_TRUE(answer.has_pong());
      }
    }
    std::sort(opcodes.begin(), opcodes.end());
    EXPECT_EQ(opcodes, (std::vector<std::uint8_t>{common::kWsBinary, common::kWsPong}));
  }
  // An unmasked frame, a text message, a close: each closes the connection.
  for (const std::string& bad : {std::string("\x82\x01x", 3), Masked(common::kWsText, "text"),
                                 Masked(common::kWsClose, "")}) {
    RawWebSocket ws;
    ASSERT_TRUE(ws.Open(port_, kPath));
    ASSERT_TRUE(ws.Send(bad));
    EXPECT_TRUE(ws.ClosedByServer()) << "after frame type " << (static_cast<int>(bad[0]) & 0x0f);
  }
}

// wss: the same node with the client port's TLS certificate serves TLS on
// the WebSocket port too; a client trusting the CA chats, a plain one fails.
TEST_F(WebSocketTest, WithTlsTheWebSocketPortSpeaksWss) {
  const std::string certs = SharedCluster().dir() + "/ws-tls";
  const std::string command = std::string("bash ") + IM_SOURCE_DIR + "/deploy/make-dev-certs.sh " +
                              certs + " localhost 127.0.0.1 2>/dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  SharedCluster().StopAccess(1);
  SharedCluster().StartAccess(
      1, {"--websocket_listen=127.0.0.1:" + std::to_string(port_),
          std::string("--websocket_path=") + kPath, "--tls.cert_file=" + certs + "/server.pem",
          "--tls.key_file=" + certs + "/server-key.pem"});
  ASSERT_TRUE(WaitForPort(port_, seconds(10)));

  EXPECT_FALSE(WebSocketClient::Connect(port_, kPath).ok()) << "plain ws at a wss port";
  auto secure = WebSocketClient::Connect(port_, kPath, certs + "/ca.pem");
  ASSERT_TRUE(secure.ok()) << secure.status();
  ASSERT_NO_FATAL_FAILURE(RegisterAndLogIn(**secure, UniqueName("dave")));
  const std::string big(60 * 1024, 'z');  // several TLS records in one WebSocket message
  const std::string erin = UniqueName("erin");
  auto tcp = RegisterAndLogin(erin, 0);
  ASSERT_NE(tcp, nullptr);
  auto sent = (*secure)->Call(Frame([&](auto& f) {
                                f.mutable_send_message()->set_to_user(erin);
                                f.mutable_send_message()->set_text(big);
                              }),
                              seconds(5));
  ASSERT_TRUE(sent.ok()) << sent.status();
  ASSERT_EQ(sent->status().code(), 0) << sent->status().message();
  auto got = NextEventMatching(*tcp, [](const auto& f) { return f.has_message(); });
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->message().text(), big);
  auto pong = (*secure)->Call(Frame([](auto& f) { f.mutable_ping(); }), seconds(5));
  ASSERT_TRUE(pong.ok()) << pong.status();
  EXPECT_TRUE(pong->has_pong());

  // ImClient (im-cli's library) over wss, trusting the same CA.
  const std::string url = "wss://127.0.0.1:" + std::to_string(port_) + kPath;
  auto client = cli::ImClient::Connect(url, cli::TlsOptions{false, certs + "/ca.pem"});
  ASSERT_TRUE(client.ok()) << client.status();
  const std::string fay = UniqueName("fay");
  ASSERT_TRUE((*client)->Register(fay, kPassword).ok());
  ASSERT_TRUE((*client)->Login(fay, kPassword, "browser").ok());
  ASSERT_TRUE((*client)->SendText(erin, "over wss from ImClient").ok());
  got = NextEventMatching(*tcp, [](const auto& f) { return f.has_message(); });
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->message().text(), "over wss from ImClient");
  auto untrusted = cli::ImClient::Connect(url, cli::TlsOptions{});
  ASSERT_FALSE(untrusted.ok()) << "the system's CAs do not know the development CA";
  EXPECT_NE(untrusted.status().message().find("TLS handshake"), std::string::npos)
      << untrusted.status();
  SetUpTestSuite();  // back to plain WebSocket for the tests after this one
}

}  // namespace
}  // namespace im::testing
