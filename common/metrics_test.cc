#include "common/metrics.h"

#include <gtest/gtest.h>

namespace im::common {
namespace {

TEST(MetricsTest, RendersCountersSamplesAndCumulativeHistogramsInTheTextFormat) {
  Metrics metrics;
  metrics.Counter("im_requests_total", "Requests.", {{"type", "send"}, {"code", "OK"}}).Add(3);
  metrics.Counter("im_requests_total", "Requests.", {{"type", "send"}, {"code", "OK"}}).Add();
  metrics.Counter("im_requests_total", "Requests.", {{"type", "a\"b"}}).Add();
  metrics.Sample("im_connections", "Open connections.", "gauge", [] { return 42.0; });
  auto& latency = metrics.Histogram("im_latency_seconds", "Latency.", {0.01, 0.1});
  latency.Observe(0.005);
  latency.Observe(0.05);
  latency.Observe(5);

  const std::string text = metrics.Render();
  EXPECT_NE(text.find("# TYPE im_requests_total counter\n"), std::string::npos) << text;
  EXPECT_NE(text.find("im_requests_total{type=\"send\",code=\"OK\"} 4\n"), std::string::npos);
  EXPECT_NE(text.find("im_requests_total{type=\"a\\\"b\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE im_connections gauge\nim_connections 42\n"), std::string::npos);
  EXPECT_NE(text.find("im_latency_seconds_bucket{le=\"0.01\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("im_latency_seconds_bucket{le=\"0.1\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("im_latency_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("im_latency_seconds_count 3\n"), std::string::npos);
}

}  // namespace
}  // namespace im::common
