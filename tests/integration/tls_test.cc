// TLS on the client port: access node 1 restarted with a development
// certificate (deploy/make-dev-certs.sh), node 0 left on plain TCP. Clients
// that trust the CA log in and chat across the two; clients that do not, or
// that name another host, or that speak plain TCP, or say nothing, are
// refused or closed, and the node carries on.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

#include "tests/integration/cli_runner.h"
#include "tests/integration/cluster_env.h"
#include "tests/support/test_env.h"

namespace im::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Makes a CA and a server certificate for `names` in `dir`.
void MakeCerts(const std::string& dir, const std::string& names) {
  const std::string command = std::string("bash ") + IM_SOURCE_DIR + "/deploy/make-dev-certs.sh " +
                              dir + " " + names + " 2>/dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
}

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    certs_ = new std::string(SharedCluster().dir() + "/tls");
    MakeCerts(*certs_, "localhost 127.0.0.1");
    StartTlsNode();
  }
  // Restarts access node 1 with the certificate in `certs` (default: the
  // suite's) and `flags`.
  static void StartTlsNode(const std::string& certs = "",
                           const std::vector<std::string>& flags = {}) {
    const std::string dir = certs.empty() ? *certs_ : certs;
    std::vector<std::string> argv = {"--tls.cert_file=" + dir + "/server.pem",
                                     "--tls.key_file=" + dir + "/server-key.pem",
                                     "--tls.handshake_timeout_ms=500"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    SharedCluster().StopAccess(1);
    SharedCluster().StartAccess(1, argv);
  }
  static void TearDownTestSuite() {  // back to plain TCP for the other tests
    SharedCluster().StopAccess(1);
    SharedCluster().StartAccess(1);
    delete certs_;
  }

  static cli::TlsOptions Trusting() { return {true, *certs_ + "/ca.pem"}; }
  static std::string TlsAddress() { return SharedCluster().access_address(1); }

  static std::string* certs_;
};
std::string* TlsTest::certs_ = nullptr;

TEST_F(TlsTest, AClientTrustingTheCaLogsInAndChatsWithAPlainTcpUser) {
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob");
  auto tls = cli::ImClient::Connect(TlsAddress(), Trusting());
  ASSERT_TRUE(tls.ok()) << tls.status();
  auto& a = **tls;
  ASSERT_TRUE(a.Register(alice, kPassword).ok());
  ASSERT_TRUE(a.Login(alice, kPassword).ok());
  auto b = RegisterAndLogin(bob, 0);  // plain TCP, node 0
  ASSERT_NE(b, nullptr);

  ASSERT_TRUE(a.SendText(bob, "over TLS").ok());
  auto got = NextEventMatching(*b, [](const auto& f) { return f.has_message(); });
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->message().text(), "over TLS");

  // A large message crosses several TLS records, and a push comes back.
  const std::string big(60 * 1024, 'x');
  auto sent_big = b->SendText(alice, big);
  ASSERT_TRUE(sent_big.ok()) << sent_big.status();
  auto back = NextEventMatching(a, [](const auto& f) { return f.has_message(); });
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->message().text(), big);
}

TEST_F(TlsTest, AnUntrustedOrMisnamedCertificateIsRefusedByTheClient) {
  auto untrusted = cli::ImClient::Connect(TlsAddress(), cli::TlsOptions{true, ""});
  ASSERT_FALSE(untrusted.ok());
  EXPECT_EQ(untrusted.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(std::string(untrusted.status().message()).find("TLS handshake with 127.0.0.1 failed"),
            std::string::npos)
      << untrusted.status();
  EXPECT_NE(std::string(untrusted.status().message()).find("pass --ca FILE"), std::string::npos)
      << "the hint for a development CA: " << untrusted.status();

  // The same CA, but a certificate for another name.
  const std::string other = SharedCluster().dir() + "/tls-other";
  MakeCerts(other, "chat.example.org");
  auto misnamed_ca = cli::TlsOptions{true, other + "/ca.pem"};
  StartTlsNode(other);
  auto misnamed = cli::ImClient::Connect(TlsAddress(), misnamed_ca);
  ASSERT_FALSE(misnamed.ok());
  EXPECT_NE(std::string(misnamed.status().message()).find("mismatch"), std::string::npos)
      << misnamed.status();
  StartTlsNode();  // the suite's own certificate again
}

TEST_F(TlsTest, PlainTcpAndSilentClientsAreClosedAndTheNodeCarriesOn) {
  // A plain-TCP client's first frame is not a TLS hello: closed, nothing answered.
  auto plain = cli::ImClient::Connect(TlsAddress());
  ASSERT_TRUE(plain.ok());
  auto refused = (*plain)->Register(UniqueName("plain"), kPassword);
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(std::string(refused.status().message()).find("pass --tls"), std::string::npos)
      << "the hint that the port speaks TLS: " << refused.status();

  // A client that connects and says nothing is closed after the handshake timeout.
  const int fd = ConnectRaw(TlsAddress());
  ASSERT_GE(fd, 0);
  timeval wait{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
  const auto start = std::chrono::steady_clock::now();
  char byte;
  EXPECT_EQ(recv(fd, &byte, 1, 0), 0) << "closed, not timed out";
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(4));
  close(fd);

  // Meanwhile, and after, TLS clients are served.
  auto fine = cli::ImClient::Connect(TlsAddress(), Trusting());
  ASSERT_TRUE(fine.ok()) << fine.status();
  EXPECT_TRUE((*fine)->Register(UniqueName("after"), kPassword).ok());
}

TEST_F(TlsTest, ATlsClientAtAPlainTcpPortIsToldToLeaveOutTls) {
  auto tls_at_plain = cli::ImClient::Connect(SharedCluster().access_address(0), Trusting());
  ASSERT_FALSE(tls_at_plain.ok());
  EXPECT_NE(std::string(tls_at_plain.status().message()).find("leave out --tls"),
            std::string::npos)
      << tls_at_plain.status();
}

TEST_F(TlsTest, AConnectionOverTheCapIsClosedBeforeItsHandshake) {
  StartTlsNode("", {"--max_connections=1"});
  auto first = cli::ImClient::Connect(TlsAddress(), Trusting());
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = cli::ImClient::Connect(TlsAddress(), Trusting());
  ASSERT_FALSE(second.ok());
  EXPECT_NE(std::string(second.status().message()).find("TLS handshake"), std::string::npos)
      << second.status();
  EXPECT_TRUE((*first)->Register(UniqueName("first"), kPassword).ok()) << "the first is served";
  first->reset();
  StartTlsNode();
}

TEST_F(TlsTest, ImCliTalksTlsWithCa) {
  const std::string carol = UniqueName("carol"), dave = UniqueName("dave");
  const std::vector<std::string> server = {"--server", TlsAddress(), "--ca", *certs_ + "/ca.pem"};
  ASSERT_EQ(RunCli(Args(server, {"register", carol, "--password", kPassword})).exit_code, 0);
  ASSERT_EQ(RunCli(Args(server, {"register", dave, "--password", kPassword})).exit_code, 0);
  auto sent = RunCli(Args(server, {"--user", carol, "--password", kPassword, "send", dave, "hi"}));
  EXPECT_EQ(sent.exit_code, 0) << sent.err;
  // IM_CA works as --ca does.
  auto history = RunCli(
      Args({"--server", TlsAddress()}, {"--user", dave, "--password", kPassword, "history", carol}),
      "IM_CA=" + *certs_ + "/ca.pem");
  EXPECT_EQ(history.exit_code, 0) << history.err;
  EXPECT_NE(history.out.find("hi"), std::string::npos) << history.out;

  auto without = RunCli(Args({"--server", TlsAddress(), "--tls"},
                             {"--user", dave, "--password", kPassword, "history", carol}));
  EXPECT_EQ(without.exit_code, 3);
  EXPECT_NE(without.err.find("TLS handshake with 127.0.0.1 failed"), std::string::npos)
      << without.err;
}

}  // namespace
}  // namespace im::testing
