// Health from the real daemons: each answers GET /healthz and the standard
// gRPC health service; both say NOT_SERVING while MariaDB does not answer
// (storage directly, logic and access through the tier below) and SERVING
// again once it does. A wrong database password stops im-storage at start-up
// with an error that says so, instead of retrying.

#include "common/health.h"

#include <chrono>
#include <fstream>
#include <iterator>
#include <thread>

#include "common/grpc_server.h"
#include "tests/integration/cluster_env.h"
#include "tests/support/http_request.h"

namespace im::testing {
namespace {

using std::chrono::seconds;

bool Serving(const std::string& metrics_address) {
  return HttpGet(metrics_address, "/healthz").rfind("HTTP/1.1 200 OK\r\n", 0) == 0;
}

// Polls `condition` every 100 ms for up to `limit`.
template <typename Condition>
bool Eventually(Condition condition, std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return condition();
}

// Resumes MariaDB however the test ends.
struct PausedMariaDb {
  PausedMariaDb() { SharedCluster().PauseMariaDb(); }
  ~PausedMariaDb() { SharedCluster().ResumeMariaDb(); }
};

TEST(HealthTest, EveryDaemonServesAndSaysSoOverHttpAndGrpc) {
  TestCluster& cluster = SharedCluster();
  for (const auto& address : {cluster.storage_metrics_address(), cluster.logic_metrics_address(),
                              cluster.access_metrics_address(0)}) {
    ASSERT_TRUE(Eventually([&] { return Serving(address); }, seconds(10))) << address;
    const std::string answer = HttpGet(address, "/healthz");
    EXPECT_NE(answer.find("\r\n\r\nserving\n"), std::string::npos) << answer;
    EXPECT_NE(HttpGet(address, "/metrics").find("\nim_serving 1\n"), std::string::npos);
  }
  for (const auto& address : {cluster.storage_address(), cluster.logic_address()}) {
    EXPECT_TRUE(common::CheckGrpcHealth(
                    address,
                    common::MakeInternalChannel(address, common::InternalCredentials::Insecure()),
                    seconds(2))
                    .ok())
        << address;
  }
}

TEST(HealthTest, NotServingWhileMariaDbDoesNotAnswerAndServingOnceItDoes) {
  TestCluster& cluster = SharedCluster();
  const std::string storage = cluster.storage_metrics_address();
  const std::string logic = cluster.logic_metrics_address();
  const std::string access = cluster.access_metrics_address(0);
  ASSERT_TRUE(Eventually([&] { return Serving(storage) && Serving(logic) && Serving(access); },
                         seconds(10)));
  {
    PausedMariaDb paused;
    // storage notices within a check period plus its 2 s query timeout; each
    // tier above within one more period plus its probe.
    EXPECT_TRUE(Eventually([&] { return !Serving(storage); }, seconds(15)));
    const std::string answer = HttpGet(storage, "/healthz");
    EXPECT_EQ(answer.rfind("HTTP/1.1 503", 0), 0u) << answer;
    EXPECT_NE(answer.find("not serving: MySQL: "), std::string::npos) << answer;
    EXPECT_FALSE(common::CheckGrpcHealth(
                     "im-storage",
                     common::MakeInternalChannel(cluster.storage_address(),
                                                 common::InternalCredentials::Insecure()),
                     seconds(2))
                     .ok());
    EXPECT_TRUE(Eventually([&] { return !Serving(logic); }, seconds(10)));
    EXPECT_TRUE(Eventually([&] { return !Serving(access); }, seconds(10)));
    EXPECT_NE(HttpGet(access, "/metrics").find("\nim_serving 0\n"), std::string::npos);
  }
  EXPECT_TRUE(Eventually([&] { return Serving(storage) && Serving(logic) && Serving(access); },
                         seconds(20)));
  // And the cluster works again.
  const std::string bob = UniqueName("bob");
  auto alice = RegisterAndLogin(UniqueName("alice"));
  RegisterAndLogin(bob);
  EXPECT_TRUE(alice->SendText(bob, "the database is back").ok());
}

TEST(HealthTest, AWrongDatabasePasswordStopsStorageAtStartupSayingSo) {
  TestCluster& cluster = SharedCluster();
  ChildProcess storage;
  const std::string log = cluster.dir() + "/storage-wrong-password.log";
  storage.Start(cluster.StorageCommand({"--mysql.user=root", "--mysql.password=not-the-password"}),
                log);
  const auto started = std::chrono::steady_clock::now();
  const int exit_code = storage.WaitExit(std::chrono::seconds(20));
  EXPECT_LT(std::chrono::steady_clock::now() - started, seconds(10)) << "it retried";
  EXPECT_EQ(exit_code, 1);
  std::ifstream file(log);
  const std::string output((std::istreambuf_iterator<char>(file)),
                           std::istreambuf_iterator<char>());
  EXPECT_NE(output.find("Access denied"), std::string::npos) << output;
  EXPECT_NE(output.find("MySQL refused user 'root'"), std::string::npos) << output;
}

}  // namespace
}  // namespace im::testing
