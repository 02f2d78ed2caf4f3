#pragma once
// The delivery checker's load for the fault tests: 16 users with up to 2
// devices each over access nodes 0 and 1 of `cluster` for 6 s, half the
// traffic to four groups of eight members; a fault every 1.2 s (the caller
// sets `fault`, and may space faults out further).

#include "tests/delivery/delivery_checker.h"
#include "tests/support/test_cluster.h"

namespace im::testing {

inline DeliveryCheckOptions TrafficOver(const TestCluster& cluster) {
  DeliveryCheckOptions options;
  options.access_addresses = {cluster.access_address(0), cluster.access_address(1)};
  options.users = 16;
  options.max_devices_per_user = 2;
  options.groups = 4;
  options.group_size = 8;
  options.group_send_percent = 50;
  options.duration = std::chrono::seconds(6);
  options.fault_every = std::chrono::milliseconds(1200);
  return options;
}

}  // namespace im::testing
