// Prometheus metrics over HTTP from the real daemons: each serves GET
// /metrics, and a sent message moves the counters it should.

#include <algorithm>
#include <thread>

#include "tests/integration/cluster_env.h"
#include "tests/support/http_request.h"

namespace im::testing {
namespace {

std::string Scrape(const std::string& address) { return HttpGet(address, "/metrics"); }

// The value of `metric` at `address` once it reaches `at_least` (waits up to
// 5 s: some counters move just after the client saw the effect).
double WaitForAtLeast(const std::string& address, const std::string& metric, double at_least) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  double value = MetricValue(Scrape(address), metric);
  while (value < at_least && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    value = MetricValue(Scrape(address), metric);
  }
  return value;
}

TEST(MetricsTest, EachDaemonServesMetricsAndASendMovesTheCounters) {
  const std::string sends = "im_logic_requests_total{type=\"send_message\",code=\"OK\"}";
  const std::string pushed = "im_logic_send_to_push_seconds_count{kind=\"direct\"}";
  const std::string logic_before = Scrape(SharedCluster().logic_metrics_address());
  const double before = std::max(0.0, MetricValue(logic_before, sends));
  const double pushed_before = std::max(0.0, MetricValue(logic_before, pushed));
  const std::string frames_out = "im_access_frames_total{direction=\"out\"}";
  const double frames_out_before =
      std::max(0.0, MetricValue(Scrape(SharedCluster().access_metrics_address(0)), frames_out));
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob");
  auto a = RegisterAndLogin(alice);
  auto b = RegisterAndLogin(bob);
  ASSERT_TRUE(a->SendText(bob, "counted").ok());
  // The push follows the ack: once bob has it, access has counted it.
  ASSERT_TRUE(b->NextEvent(std::chrono::seconds(5)).ok());

  const std::string logic = Scrape(SharedCluster().logic_metrics_address());
  EXPECT_EQ(logic.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << logic;
  EXPECT_NE(logic.find("Content-Type: text/plain; version=0.0.4"), std::string::npos);
  EXPECT_EQ(MetricValue(logic, sends), before + 1) << logic;
  EXPECT_GE(MetricValue(logic, "im_logic_request_seconds_count{type=\"send_message\"}"), 1);
  // Timed until access answered the push, which may come just after bob has it.
  EXPECT_GE(WaitForAtLeast(SharedCluster().logic_metrics_address(), pushed, pushed_before + 1),
            pushed_before + 1);

  const std::string access = Scrape(SharedCluster().access_metrics_address(0));
  EXPECT_GE(MetricValue(access, "im_access_connections"), 2) << access;
  EXPECT_GE(MetricValue(access, "im_access_push_targets_total"), 1) << access;
  // Two logins, a send and its ack in; their answers and the push out.
  EXPECT_GE(MetricValue(access, "im_access_frames_total{direction=\"in\"}"), 3) << access;
  EXPECT_GE(MetricValue(access, frames_out), frames_out_before + 4) << access;
  EXPECT_GT(MetricValue(access, "im_access_bytes_total{direction=\"in\"}"), 0) << access;
  EXPECT_GT(MetricValue(access, "im_access_bytes_total{direction=\"out\"}"), 0) << access;

  const std::string storage = Scrape(SharedCluster().storage_metrics_address());
  EXPECT_GE(MetricValue(storage, "im_storage_appends_total"), 1) << storage;
  EXPECT_GE(MetricValue(storage, "im_storage_append_commit_seconds_count"), 1) << storage;
  EXPECT_GT(MetricValue(storage, "im_storage_pool_size{pool=\"mysql\"}"), 0) << storage;
  EXPECT_GE(MetricValue(storage, "im_storage_pool_connections{pool=\"mysql\",state=\"idle\"}"), 1);
  EXPECT_GE(MetricValue(storage, "im_storage_pool_waits_total{pool=\"redis\"}"), 0)  // present
      << storage;

  EXPECT_EQ(HttpRequest(SharedCluster().logic_metrics_address(), "GET /other HTTP/1.1\r\n\r\n")
                .rfind("HTTP/1.1 404", 0),
            0u);
  EXPECT_EQ(HttpRequest(SharedCluster().logic_metrics_address(), "hello\r\n\r\n")
                .rfind("HTTP/1.1 400", 0),
            0u);
}

}  // namespace
}  // namespace im::testing
