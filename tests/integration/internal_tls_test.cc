// The internal plane over mutual TLS: a cluster of its own whose daemons all
// have internal certificates (deploy/make-dev-certs.sh --internal) carries
// chat end to end (access -> logic -> storage, logic -> access push), while a
// caller without a certificate that the internal CA signed gets nothing from
// any internal port: not Storage (GetUser would hand out a password hash),
// not Logic, not an access node's Access service. A daemon given internal
// certificate files that do not fit together refuses to start and says why.

#include "common/internal_tls.h"

#include <grpcpp/create_channel.h>

#include <cstdlib>

#include "access.grpc.pb.h"
#include "common/grpc_server.h"
#include "logic.grpc.pb.h"
#include "storage.grpc.pb.h"
#include "tests/integration/cli_runner.h"
#include "tests/integration/cluster_env.h"
#include "tests/support/child_process.h"
#include "tests/support/test_env.h"

namespace im::testing {
namespace {

using std::chrono::seconds;

void MakeInternalCerts(const std::string& dir) {
  const std::string command = std::string("bash ") + IM_SOURCE_DIR +
                              "/deploy/make-dev-certs.sh --internal " + dir + " 2>/dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
}

common::InternalTlsSettings SettingsIn(const std::string& dir) {
  common::InternalTlsSettings settings;
  settings.ca_file = dir + "/ca.pem";
  settings.cert_file = dir + "/internal.pem";
  settings.key_file = dir + "/internal-key.pem";
  return settings;
}

std::shared_ptr<grpc::Channel> ChannelWith(const std::string& address,
                                           std::shared_ptr<grpc::ChannelCredentials> credentials) {
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("im-internal");
  return grpc::CreateCustomChannel(address, std::move(credentials), args);
}

std::unique_ptr<grpc::ClientContext> ShortCall() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + seconds(3));
  return context;
}

class InternalTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    certs_ = new std::string(MakeTempDir("im-internal-tls"));
    MakeInternalCerts(*certs_ + "/cluster");
    MakeInternalCerts(*certs_ + "/stranger");  // another CA, for a caller it never signed
    cluster_ = new TestCluster(
        ClusterOptions{.access_nodes = 2, .internal_tls_dir = *certs_ + "/cluster"});
  }
  static void TearDownTestSuite() {
    delete cluster_;
    RemoveTree(*certs_);
    delete certs_;
  }

  static std::string Dir(const std::string& which) { return *certs_ + "/" + which; }

  // The ways a caller can present itself: (name, credentials).
  static std::vector<std::pair<std::string, std::shared_ptr<grpc::ChannelCredentials>>>
  Strangers() {
    grpc::SslCredentialsOptions no_certificate;
    no_certificate.pem_root_certs = ReadFile(Dir("cluster") + "/ca.pem");
    grpc::SslCredentialsOptions other_ca = no_certificate;  // trusts the servers, but
    other_ca.pem_cert_chain = ReadFile(Dir("stranger") + "/internal.pem");
    other_ca.pem_private_key = ReadFile(Dir("stranger") + "/internal-key.pem");
    return {{"plaintext", grpc::InsecureChannelCredentials()},
            {"TLS without a client certificate", grpc::SslCredentials(no_certificate)},
            {"a certificate from another CA", grpc::SslCredentials(other_ca)}};
  }
  static std::shared_ptr<grpc::ChannelCredentials> Member() {
    auto credentials = common::InternalCredentials::Load(SettingsIn(Dir("cluster")));
    EXPECT_TRUE(credentials.ok()) << credentials.status();
    return credentials->channel();
  }

  static std::string* certs_;
  static TestCluster* cluster_;
};
std::string* InternalTlsTest::certs_ = nullptr;
TestCluster* InternalTlsTest::cluster_ = nullptr;

TEST_F(InternalTlsTest, UsersOnTwoNodesChatThroughEveryTier) {
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob");
  auto a = cli::ImClient::Connect(cluster_->access_address(0));
  auto b = cli::ImClient::Connect(cluster_->access_address(1));
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE((*a)->Register(alice, kPassword).ok());
  ASSERT_TRUE((*b)->Register(bob, kPassword).ok());
  ASSERT_TRUE((*a)->Login(alice, kPassword).ok());
  ASSERT_TRUE((*b)->Login(bob, kPassword).ok());

  auto sent = (*a)->SendText(bob, "through mutual TLS");
  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_EQ(sent->seq(), 1u);
  // Pushed by logic to node 1's Access service.
  auto got = NextEventMatching(**b, [](const auto& f) { return f.has_message(); });
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->message().text(), "through mutual TLS");
  // And stored: a new device of bob's finds it by sync.
  auto pad = cli::ImClient::Connect(cluster_->access_address(0));
  ASSERT_TRUE(pad.ok());
  ASSERT_TRUE((*pad)->Login(bob, kPassword, "pad").ok());
  const auto synced = SyncAll(**pad);
  ASSERT_EQ(synced.size(), 1u);
  EXPECT_EQ(synced[0].text(), "through mutual TLS");
}

TEST_F(InternalTlsTest, NoInternalPortAnswersACallerWithoutACertificateTheCaSigned) {
  const std::string alice = UniqueName("alice");
  auto a = cli::ImClient::Connect(cluster_->access_address(0));
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE((*a)->Register(alice, kPassword).ok());

  internal::GetUserRequest get_user;
  get_user.set_username(alice);
  get_user.set_with_password_hash(true);
  // A member of the cluster is answered: the refusals below are about who
  // calls, not a port that is down.
  {
    internal::User user;
    auto context = ShortCall();
    const grpc::Status status =
        internal::Storage::NewStub(ChannelWith(cluster_->storage_address(), Member()))
            ->GetUser(context.get(), get_user, &user);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_FALSE(user.password_hash().empty());
    // Without asking for it (as every lookup but a password check does), the
    // user comes without the hash.
    internal::GetUserRequest plain_lookup = get_user;
    plain_lookup.set_with_password_hash(false);
    internal::User without;
    context = ShortCall();
    ASSERT_TRUE(internal::Storage::NewStub(ChannelWith(cluster_->storage_address(), Member()))
                    ->GetUser(context.get(), plain_lookup, &without)
                    .ok());
    EXPECT_EQ(without.username(), alice);
    EXPECT_TRUE(without.password_hash().empty());
    internal::AccessStatsResponse stats;
    context = ShortCall();
    EXPECT_TRUE(internal::Access::NewStub(ChannelWith(cluster_->push_address(0), Member()))
                    ->Stats(context.get(), {}, &stats)
                    .ok());
    EXPECT_GE(stats.connections(), 1u);
  }

  for (const auto& [who, credentials] : Strangers()) {
    SCOPED_TRACE(who);
    internal::User user;
    auto context = ShortCall();
    grpc::Status status =
        internal::Storage::NewStub(ChannelWith(cluster_->storage_address(), credentials))
            ->GetUser(context.get(), get_user, &user);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
    EXPECT_TRUE(user.password_hash().empty());

    internal::NodeLeaseRequest lease;
    lease.set_node_id("forged-node");
    lease.set_lease_ms(60000);
    internal::NodeLeaseResponse leased;
    context = ShortCall();
    status = internal::Logic::NewStub(ChannelWith(cluster_->logic_address(), credentials))
                 ->RenewNodeLease(context.get(), lease, &leased);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();

    internal::KickRequest kick;
    kick.mutable_target()->set_user_id(1);
    kick.set_reason("forged");
    internal::KickResponse kicked;
    context = ShortCall();
    status = internal::Access::NewStub(ChannelWith(cluster_->push_address(0), credentials))
                 ->Kick(context.get(), kick, &kicked);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  }
}

TEST_F(InternalTlsTest, ADaemonWithCertificatesThatDoNotFitRefusesToStartAndSaysWhy) {
  const std::string cluster = Dir("cluster"), stranger = Dir("stranger");
  struct Case {
    std::string ca, cert, key, expected;
  };
  const std::vector<Case> cases = {
      {cluster + "/ca.pem", "", "", "set ca_file, cert_file and key_file together"},
      {cluster + "/ca.pem", cluster + "/internal.pem", stranger + "/internal-key.pem",
       "does not match internal_tls.cert_file"},
      {cluster + "/ca.pem", stranger + "/internal.pem", stranger + "/internal-key.pem",
       "not signed by internal_tls.ca_file"},
      {cluster + "/ca.pem", cluster + "/missing.pem", cluster + "/internal-key.pem",
       "internal_tls.cert_file " + cluster + "/missing.pem"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.expected);
    ChildProcess logic;
    const std::string log =
        cluster_->dir() + "/logic-refused-" + std::to_string(&c - cases.data()) + ".log";
    logic.Start({std::string(IM_BINARY_DIR) + "/logic/im-logic", "--listen=127.0.0.1:0",
                 "--internal_tls.ca_file=" + c.ca, "--internal_tls.cert_file=" + c.cert,
                 "--internal_tls.key_file=" + c.key},
                log);
    EXPECT_EQ(logic.WaitExit(seconds(10)), 2);
    const std::string said = ReadFile(log);
    EXPECT_NE(said.find("configuration error"), std::string::npos) << said;
    EXPECT_NE(said.find(c.expected), std::string::npos) << said;
  }
}

}  // namespace
}  // namespace im::testing
