// Prometheus metrics over HTTP from the real daemons: each serves GET
// /metrics, and a sent message moves the counters it should.

#include "tests/integration/cluster_env.h"
#include "tests/support/http_request.h"

namespace im::testing {
namespace {

std::string Scrape(const std::string& address) { return HttpGet(address, "/metrics"); }

TEST(MetricsTest, EachDaemonServesMetricsAndASendMovesTheCounters) {
  const std::string sends = "im_logic_requests_total{type=\"send_message\",code=\"OK\"}";
  const double before =
      std::max(0.0, MetricValue(Scrape(SharedCluster().logic_metrics_address()), sends));
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

  const std::string access = Scrape(SharedCluster().access_metrics_address(0));
  EXPECT_GE(MetricValue(access, "im_access_connections"), 2) << access;
  EXPECT_GE(MetricValue(access, "im_access_push_targets_total"), 1) << access;

  const std::string storage = Scrape(SharedCluster().storage_metrics_address());
  EXPECT_GE(MetricValue(storage, "im_storage_appends_total"), 1) << storage;
  EXPECT_GE(MetricValue(storage, "im_storage_append_commit_seconds_count"), 1) << storage;

  EXPECT_EQ(HttpRequest(SharedCluster().logic_metrics_address(), "GET /other HTTP/1.1\r\n\r\n")
                .rfind("HTTP/1.1 404", 0),
            0u);
  EXPECT_EQ(HttpRequest(SharedCluster().logic_metrics_address(), "hello\r\n\r\n")
                .rfind("HTTP/1.1 400", 0),
            0u);
}

}  // namespace
}  // namespace im::testing
