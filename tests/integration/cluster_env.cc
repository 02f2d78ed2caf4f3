#include "tests/integration/cluster_env.h"

#include <atomic>

#include "client-cli/inbox.h"

namespace im::testing {
namespace {

class ClusterEnvironment : public ::testing::Environment {
 public:
  void TearDown() override { cluster.reset(); }
  std::unique_ptr<TestCluster> cluster;
};

ClusterEnvironment* environment =
    static_cast<ClusterEnvironment*>(::testing::AddGlobalTestEnvironment(new ClusterEnvironment));

}  // namespace

TestCluster& SharedCluster() {
  if (environment->cluster == nullptr) {
    ClusterOptions options;
    options.access_nodes = 2;
    environment->cluster = std::make_unique<TestCluster>(options);
  }
  return *environment->cluster;
}

std::string UniqueName(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return prefix + "_" + std::to_string(++counter);
}

std::unique_ptr<cli::ImClient> Connect(int node) {
  auto client = cli::ImClient::Connect(SharedCluster().access_address(node));
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? std::move(*client) : nullptr;
}

std::unique_ptr<cli::ImClient> RegisterAndLogin(const std::string& name, int node,
                                                const std::string& device) {
  auto client = Connect(node);
  if (client == nullptr) return nullptr;
  auto registered = client->Register(name, kPassword);
  EXPECT_TRUE(registered.ok()) << name << ": " << registered.status();
  auto login = client->Login(name, kPassword, device);
  EXPECT_TRUE(login.ok()) << name << ": " << login.status();
  return client;
}

client::ClientFrame Frame(const std::function<void(client::ClientFrame&)>& fill) {
  client::ClientFrame frame;
  fill(frame);
  return frame;
}

std::vector<client::ChatMessage> SyncAll(cli::ImClient& client) {
  std::vector<client::ChatMessage> got;
  cli::Inbox inbox(&client, [&](const client::ChatMessage& m) { got.push_back(m); });
  absl::Status s = inbox.CatchUp();
  EXPECT_TRUE(s.ok()) << s;
  return got;
}

absl::StatusOr<client::ServerFrame> NextEventMatching(
    cli::ImClient& client, const std::function<bool(const client::ServerFrame&)>& want,
    std::chrono::milliseconds within) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return absl::DeadlineExceededError("no matching event in time");
    auto event = client.NextEvent(left);
    if (!event.ok()) return event.status();
    if (want(*event)) return event;
  }
}

}  // namespace im::testing
