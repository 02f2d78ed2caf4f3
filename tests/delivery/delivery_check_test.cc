// The delivery checker, bounded: a few dozen devices for a few seconds over two
// access nodes, with one of them killed (SIGKILL) and restarted every second,
// sending 1:1 and to groups.

#include <gtest/gtest.h>

#include "tests/delivery/delivery_checker.h"
#include "tests/support/test_cluster.h"

namespace im::testing {
namespace {

TEST(DeliveryCheckTest, NoLossDuplicationOrReorderingThroughAccessKillsAndReconnects) {
  ClusterOptions cluster_options;
  cluster_options.access_nodes = 2;
  TestCluster cluster(cluster_options);

  DeliveryCheckOptions options;
  options.access_addresses = {cluster.access_address(0), cluster.access_address(1)};
  options.users = 16;
  options.max_devices_per_user = 2;
  // Half the traffic goes to four groups of eight members each.
  options.groups = 4;
  options.group_size = 8;
  options.group_send_percent = 50;
  options.duration = std::chrono::seconds(6);
  options.fault_every = std::chrono::milliseconds(1200);
  options.fault = [&cluster](std::mt19937& rng) {
    const int node = static_cast<int>(rng() % 2);
    cluster.KillAccess(node);
    cluster.StartAccess(node);
  };
  const DeliveryCheckReport report = RunDeliveryCheck(options);
  std::cout << "delivery check: " << report.Summary() << std::endl;
  EXPECT_TRUE(report.ok()) << report.Summary();
  EXPECT_GT(report.acked, 100u) << "too little traffic to mean anything";
  EXPECT_GT(report.group_acked, 30u) << "too little group traffic to mean anything";
  EXPECT_GT(report.reconnects, report.devices) << "no reconnects happened";
}

}  // namespace
}  // namespace im::testing
