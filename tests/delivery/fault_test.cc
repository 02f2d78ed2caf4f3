// Faults below the daemons and on the internal plane, each under the delivery
// checker's traffic (cluster_traffic.h) and ending with its counts: kill -9
// of mariadbd (restarted on the same data, with crash recovery), Redis
// restarted empty (every route, lease and cache gone), and kills of access
// nodes and logic replicas in a cluster whose internal plane is mutual TLS
// (so every reconnect is a new TLS handshake with client certificates), and,
// where nftables works, each link between the tiers cut and then made lossy
// on loopback. The daemons' own kills are in delivery_check_test.cc.

#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <optional>
#include <thread>

#include "tests/delivery/cluster_traffic.h"
#include "tests/delivery/delivery_checker.h"
#include "tests/support/network_fault.h"
#include "tests/support/test_cluster.h"
#include "tests/support/test_env.h"

namespace im::testing {
namespace {

ClusterOptions TwoAccessNodes() {
  ClusterOptions options;
  options.access_nodes = 2;
  return options;
}

void ExpectNothingAckedLost(const DeliveryCheckReport& report, const std::string& what) {
  std::cout << "delivery check (" << what << "): " << report.Summary() << std::endl;
  EXPECT_TRUE(report.ok()) << report.Summary();
  EXPECT_GT(report.acked, 50u) << "too little traffic to mean anything";
  EXPECT_GT(report.group_acked, 10u) << "too little group traffic to mean anything";
}

// While mariadbd is down, sends fail "try again" and clients resend with the
// same client id; storage's connections come back once it answers again.
TEST(FaultTest, NothingAckedIsLostWhenMariaDbIsKilledUnderTraffic) {
  TestCluster cluster(TwoAccessNodes());
  DeliveryCheckOptions options = TrafficOver(cluster);
  options.duration = std::chrono::seconds(8);
  options.fault_every = std::chrono::milliseconds(2500);
  int kills = 0;
  options.fault = [&](std::mt19937&) {
    cluster.KillMariaDb();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    cluster.StartMariaDb();
    ++kills;
  };
  const DeliveryCheckReport report = RunDeliveryCheck(options);
  ExpectNothingAckedLost(report, std::to_string(kills) + " kills of mariadbd");
  EXPECT_GE(kills, 2) << "too few faults to mean anything";
}

// Redis holds only soft state: with it restarted empty, access nodes take
// their lease anew and restore their routes, and what a push missed meanwhile
// comes by sync.
TEST(FaultTest, NothingAckedIsLostWhenRedisIsRestartedEmptyUnderTraffic) {
  TestCluster cluster(TwoAccessNodes());
  DeliveryCheckOptions options = TrafficOver(cluster);
  options.fault_every = std::chrono::milliseconds(2000);
  int restarts = 0;
  options.fault = [&](std::mt19937&) {
    cluster.StopRedis();
    cluster.StartRedis();
    ++restarts;
  };
  const DeliveryCheckReport report = RunDeliveryCheck(options);
  ExpectNothingAckedLost(report, std::to_string(restarts) + " empty restarts of Redis");
  EXPECT_GE(restarts, 2) << "too few faults to mean anything";
}

// Access nodes and logic replicas killed (-9) and started again while every
// hop between the tiers is mutual TLS.
TEST(FaultTest, NothingAckedIsLostThroughKillsWhenTheInternalPlaneIsMutualTls) {
  const std::string certs = MakeTempDir("im-fault-tls");
  const std::string command = std::string("bash ") + IM_SOURCE_DIR +
                              "/deploy/make-dev-certs.sh --internal " + certs + " 2>/dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  ClusterOptions cluster_options = TwoAccessNodes();
  cluster_options.logic_replicas = 2;
  cluster_options.internal_tls_dir = certs;
  {
    TestCluster cluster(cluster_options);
    DeliveryCheckOptions options = TrafficOver(cluster);
    int access_kills = 0, logic_kills = 0;
    options.fault = [&](std::mt19937& rng) {
      const int which = static_cast<int>(rng() % 2);
      if (rng() % 2 == 0) {
        cluster.KillAccess(which);
        cluster.StartAccess(which);
        ++access_kills;
      } else {
        cluster.KillLogicReplica(which);
        cluster.StartLogicReplica(which);
        ++logic_kills;
      }
    };
    const DeliveryCheckReport report = RunDeliveryCheck(options);
    ExpectNothingAckedLost(report, "mutual TLS, " + std::to_string(access_kills) + " access and " +
                                       std::to_string(logic_kills) + " logic kills");
    EXPECT_GT(access_kills + logic_kills, 2) << "too few faults to mean anything";
  }
  RemoveTree(certs);
}

int PortOf(const std::string& address) {
  return std::stoi(address.substr(address.rfind(':') + 1));
}

// One link between two tiers, named by the ports of its server side.
struct Link {
  std::string name;
  std::vector<int> ports;
};

// Each link in turn, under traffic: every segment on it dropped for a second
// (a partition: calls on it stall, deadlines pass, leases may lapse), then
// 30% of them for a second (retransmissions: everything slow), then healed.
// Connections are not closed by it; whatever stalled must recover by itself.
TEST(FaultTest, NothingAckedIsLostWhenLinksBetweenTiersDropAndDelayTraffic) {
  if (auto why = NetworkFault::Unavailable()) GTEST_SKIP() << *why;
  TestCluster cluster(TwoAccessNodes());
  const std::vector<Link> links = {
      {"access-logic", {PortOf(cluster.logic_address())}},
      {"logic-storage", {PortOf(cluster.storage_address())}},
      {"logic-access push", {PortOf(cluster.push_address(0)), PortOf(cluster.push_address(1))}},
      {"storage-mariadb", {cluster.mariadb_port()}},
      {"storage-redis", {cluster.redis_port()}},
  };
  NetworkFault network;
  DeliveryCheckOptions options = TrafficOver(cluster);
  options.duration = std::chrono::seconds(12);
  options.fault_every = std::chrono::milliseconds(500);
  std::string faulted;
  std::size_t faults = 0, cuts_seen = 0;
  options.fault = [&](std::mt19937&) {
    const Link& link = links[faults++ % links.size()];
    network.Drop(link.ports);
    // The control: while the link is cut, a new connection to it gets no answer.
    cuts_seen += !ConnectsWithin(link.ports.front(), std::chrono::milliseconds(300));
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    network.Drop(link.ports, 30);
    std::this_thread::sleep_for(std::chrono::seconds(1));
    network.Heal();
    faulted += (faulted.empty() ? "" : ", ") + link.name;
  };
  const DeliveryCheckReport report = RunDeliveryCheck(options);
  ExpectNothingAckedLost(report, "links cut, then lossy: " + faulted);
  EXPECT_GE(faults, links.size()) << "not every link had its fault";
  EXPECT_EQ(cuts_seen, faults) << "a cut link still answered: the drop rules did not apply";
}

}  // namespace
}  // namespace im::testing
