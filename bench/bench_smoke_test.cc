// im-bench at tiny sizes against a real cluster (two access nodes): every
// scenario runs to the end, moves what it says it moved, and the delivery
// checker finds nothing wrong; the same over WebSocket (--transport ws) and
// HTTP long-poll (--transport poll) for the scenarios that connect in their
// own ways. A smoke test of the tool: it asserts no timing.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/support/test_cluster.h"

namespace im::testing {
namespace {

struct BenchRun {
  int exit_code = -1;
  std::string output;
};

class BenchSmokeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ClusterOptions options;
    options.access_nodes = 2;
    options.idle_timeout_ms = 60000;
    options.websocket = true;
    options.long_poll = true;
    cluster_ = new TestCluster(options);
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }

  // HOST:PORT of a URL (ws://HOST:PORT/PATH, http://HOST:PORT/PATH).
  static std::string HostPort(const std::string& url) {
    const std::size_t start = url.find("//") + 2;
    return url.substr(start, url.find('/', start) - start);
  }

  // Runs im-bench with `args` plus the cluster's addresses for `transport`
  // (tcp, ws or poll: the nodes' matching ports and --transport), waits for it.
  static BenchRun Bench(std::vector<std::string> args, const std::string& transport = "tcp") {
    static int run = 0;
    const std::string log = cluster_->dir() + "/bench-" + std::to_string(++run) + ".log";
    args.insert(args.begin(), std::string(IM_BINARY_DIR) + "/bench/im-bench");
    if (transport == "ws") {
      args.push_back("--server=" + HostPort(cluster_->websocket_address(0)) + "," +
                     HostPort(cluster_->websocket_address(1)));
    } else if (transport == "poll") {
      args.push_back("--server=" + HostPort(cluster_->poll_address(0)) + "," +
                     HostPort(cluster_->poll_address(1)));
    } else {
      args.push_back("--server=" + cluster_->access_address(0) + "," + cluster_->access_address(1));
    }
    args.push_back("--transport=" + transport);
    for (const std::string& flag :
         {"--users-file=" + cluster_->dir() + "/bench-users", "--pids=" + cluster_->ProcessList(),
          std::string("--warmup=0.5"), std::string("--seconds=1.5"), std::string("--json")}) {
      args.push_back(flag);
    }
    ChildProcess bench;
    bench.Start(args, log);
    BenchRun result;
    result.exit_code = bench.WaitExit(std::chrono::seconds(120));
    std::ifstream in(log);
    std::stringstream text;
    text << in.rdbuf();
    result.output = text.str();
    return result;
  }

  // The number after "\"key\":" in the JSON output, or -1.
  static double Field(const std::string& json, const std::string& key) {
    const auto at = json.find("\"" + key + "\":");
    if (at == std::string::npos) return -1;
    return std::strtod(json.c_str() + at + key.size() + 3, nullptr);
  }
  // The value of the figure named `name`, or -1.
  static double FigureValue(const std::string& json, const std::string& name) {
    const auto at = json.find("{\"name\":\"" + name + "\"");
    if (at == std::string::npos) return -1;
    return Field(json.substr(at), "value");
  }

  static void ExpectCleanDelivery(const BenchRun& r) {
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("\"ok\":true"), std::string::npos) << r.output;
    EXPECT_GT(Field(r.output, "delivered"), 0) << r.output;
    EXPECT_EQ(Field(r.output, "lost"), 0) << r.output;
    EXPECT_EQ(Field(r.output, "duplicated"), 0) << r.output;
    EXPECT_EQ(Field(r.output, "reordered"), 0) << r.output;
    EXPECT_EQ(Field(r.output, "unexpected"), 0) << r.output;
  }

  static TestCluster* cluster_;
};

TestCluster* BenchSmokeTest::cluster_ = nullptr;

TEST_F(BenchSmokeTest, EveryScenarioRunsAndTheCheckerFindsNothingWrong) {
  const BenchRun seed = Bench({"seed", "--users=40"});
  ASSERT_EQ(seed.exit_code, 0) << seed.output;
  EXPECT_EQ(FigureValue(seed.output, "users in the file"), 40) << seed.output;
  // Seeding again reuses what is there.
  const BenchRun again = Bench({"seed", "--users=40"});
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(FigureValue(again.output, "users seeded now"), 0) << again.output;

  const BenchRun throughput = Bench({"throughput", "--pairs=3", "--in-flight=2"});
  ExpectCleanDelivery(throughput);
  EXPECT_GT(FigureValue(throughput.output, "persisted (acked)"), 0) << throughput.output;
  EXPECT_GT(Field(throughput.output, "cluster_cpu_seconds"), 0) << throughput.output;

  ExpectCleanDelivery(Bench({"latency", "--pairs=3", "--rate=30"}));
  ExpectCleanDelivery(Bench({"fanout", "--members=6", "--senders=2", "--in-flight=1"}));
  const BenchRun storm = Bench({"storm", "--connections=20", "--senders=2", "--missed=2"});
  ExpectCleanDelivery(storm);
  EXPECT_EQ(FigureValue(storm.output, "clients back and synced"), 20) << storm.output;

  const BenchRun idle = Bench({"idle", "--connections=30", "--procs=2"});
  EXPECT_EQ(idle.exit_code, 0) << idle.output;
  EXPECT_EQ(FigureValue(idle.output, "connections held at the end"), 30) << idle.output;

  const BenchRun logins = Bench({"logins", "--concurrency=4"});
  EXPECT_EQ(logins.exit_code, 0) << logins.output;
  EXPECT_GT(FigureValue(logins.output, "logins"), 0) << logins.output;
}

// Over WebSocket and over HTTP long-poll, the scenarios that connect in their own ways.
TEST_F(BenchSmokeTest, OverWebSocketAndLongPollTheScenariosRunAndTheCheckerFindsNothingWrong) {
  for (const std::string transport : {"ws", "poll"}) {
    SCOPED_TRACE(transport);
    const BenchRun seed = Bench({"seed", "--users=40"}, transport);
    ASSERT_EQ(seed.exit_code, 0) << seed.output;
    EXPECT_NE(seed.output.find("transport=" + transport), std::string::npos) << seed.output;

    const BenchRun throughput = Bench({"throughput", "--pairs=3", "--in-flight=2"}, transport);
    ExpectCleanDelivery(throughput);
    EXPECT_GT(FigureValue(throughput.output, "persisted (acked)"), 0) << throughput.output;
    ExpectCleanDelivery(
        Bench({"fanout", "--members=6", "--senders=2", "--in-flight=1"}, transport));
    const BenchRun storm =
        Bench({"storm", "--connections=20", "--senders=2", "--missed=2"}, transport);
    ExpectCleanDelivery(storm);
    EXPECT_EQ(FigureValue(storm.output, "clients back and synced"), 20) << storm.output;
    const BenchRun idle = Bench({"idle", "--connections=30", "--procs=1"}, transport);
    EXPECT_EQ(idle.exit_code, 0) << idle.output;
    EXPECT_EQ(FigureValue(idle.output, "connections held at the end"), 30) << idle.output;
    const BenchRun logins = Bench({"logins", "--concurrency=4"}, transport);
    EXPECT_EQ(logins.exit_code, 0) << logins.output;
    EXPECT_GT(FigureValue(logins.output, "logins"), 0) << logins.output;
  }
}

TEST_F(BenchSmokeTest, TooFewSeededUsersIsAClearFailure) {
  const BenchRun r = Bench({"throughput", "--pairs=1000"});  // 2,000 users; 40 seeded
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("im-bench seed"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace im::testing
