#include "tests/integration/cluster_env.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

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

int ConnectRaw(const std::string& host_port, int receive_buffer_bytes,
               const std::string& source_address) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (receive_buffer_bytes > 0) {
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer_bytes, sizeof receive_buffer_bytes);
  }
  if (!source_address.empty()) {
    sockaddr_in source{};
    source.sin_family = AF_INET;
    if (::inet_pton(AF_INET, source_address.c_str(), &source.sin_addr) != 1 ||
        ::bind(fd, reinterpret_cast<sockaddr*>(&source), sizeof source) != 0) {
      ::close(fd);
      return -1;
    }
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port =
      htons(static_cast<std::uint16_t>(std::stoi(host_port.substr(host_port.rfind(':') + 1))));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::optional<client::ServerFrame> ReadFrame(int fd, common::FrameDecoder& decoder,
                                             std::chrono::milliseconds within) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  for (;;) {
    if (auto body = decoder.Next()) {
      client::ServerFrame frame;
      if (!frame.ParseFromArray(body->data(), static_cast<int>(body->size()))) return std::nullopt;
      return frame;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) != 1) {
      return std::nullopt;
    }
    char buffer[16384];
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0 || !decoder.Append(std::string_view(buffer, static_cast<std::size_t>(n))).ok()) {
      return std::nullopt;
    }
  }
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
