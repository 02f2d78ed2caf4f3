#include "storage/connection_pool.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>

namespace im::storage {
namespace {

struct FakeConnection {
  bool broken() const { return false; }
};

ConnectionPool<FakeConnection>::Connector Connects() {
  return [] { return std::make_unique<FakeConnection>(); };
}

bool Shows(const common::Metrics& metrics, const std::string& line) {
  return metrics.Render().find(line + "\n") != std::string::npos;
}

TEST(ConnectionPoolTest, MetricsShowLeasedIdleAndWaits) {
  ConnectionPool<FakeConnection> pool(Connects(), 1);
  common::Metrics metrics;
  pool.ExportTo(&metrics, "test");
  EXPECT_TRUE(Shows(metrics, "im_storage_pool_size{pool=\"test\"} 1")) << metrics.Render();
  EXPECT_TRUE(Shows(metrics, "im_storage_pool_waits_total{pool=\"test\"} 0"));

  auto held = std::make_unique<ConnectionPool<FakeConnection>::Lease>(*pool.Acquire());
  EXPECT_TRUE(Shows(metrics, "im_storage_pool_connections{pool=\"test\",state=\"leased\"} 1"));
  EXPECT_TRUE(Shows(metrics, "im_storage_pool_connections{pool=\"test\",state=\"idle\"} 0"));

  // A second acquire waits until the first lease is returned.
  auto second = std::async(std::launch::async, [&pool] { return pool.Acquire().ok(); });
  EXPECT_EQ(second.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  held.reset();
  EXPECT_TRUE(second.get());
  EXPECT_TRUE(Shows(metrics, "im_storage_pool_waits_total{pool=\"test\"} 1")) << metrics.Render();
  EXPECT_TRUE(Shows(metrics, "im_storage_pool_connections{pool=\"test\",state=\"leased\"} 0"));
  EXPECT_TRUE(Shows(metrics, "im_storage_pool_connections{pool=\"test\",state=\"idle\"} 1"));
  EXPECT_EQ(metrics.Render().find("im_storage_pool_wait_seconds_total{pool=\"test\"} 0\n"),
            std::string::npos)
      << "the wait took time";
}

}  // namespace
}  // namespace im::storage
