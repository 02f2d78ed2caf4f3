// The delivery checker, bounded: a few dozen devices for a few seconds over two
// access nodes, with one of them killed (SIGKILL), or drained (SIGTERM), and
// restarted every second, or with one of two logic or storage replicas
// killed and restarted, sending 1:1 and to groups. Through access kills and
// drains, the devices take TCP, WebSocket (as browsers) and HTTP long-poll in turn.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "tests/delivery/cluster_traffic.h"
#include "tests/delivery/delivery_checker.h"
#include "tests/support/hook_server.h"
#include "tests/support/test_cluster.h"

namespace im::testing {
namespace {

// Traffic with the devices on TCP, WebSocket and long-poll in turn.
DeliveryCheckOptions MixedTrafficOver(const TestCluster& cluster) {
  DeliveryCheckOptions options = TrafficOver(cluster);
  options.websocket_addresses = {cluster.websocket_address(0), cluster.websocket_address(1)};
  options.poll_addresses = {cluster.poll_address(0), cluster.poll_address(1)};
  return options;
}

ClusterOptions TwoNodesWithEveryTransport() {
  ClusterOptions options;
  options.access_nodes = 2;
  options.websocket = true;
  options.long_poll = true;
  return options;
}

// Every transport must have carried traffic, or the split means nothing.
void ExpectEveryTransportCarried(const DeliveryCheckReport& report) {
  EXPECT_GT(report.tcp.deliveries, 100u) << report.Summary();
  EXPECT_GT(report.websocket.deliveries, 100u) << report.Summary();
  EXPECT_GT(report.long_poll.deliveries, 100u) << report.Summary();
}

TEST(DeliveryCheckTest, NoLossDuplicationOrReorderingThroughAccessKillsAndReconnects) {
  TestCluster cluster(TwoNodesWithEveryTransport());

  DeliveryCheckOptions options = MixedTrafficOver(cluster);
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
  ExpectEveryTransportCarried(report);
}

// The same with graceful drains (SIGTERM) instead of kills: clients are told
// to reconnect and the node waits for them before it exits.
TEST(DeliveryCheckTest, NoLossDuplicationOrReorderingThroughAccessDrains) {
  TestCluster cluster(TwoNodesWithEveryTransport());

  DeliveryCheckOptions options = MixedTrafficOver(cluster);
  int unclean_exits = 0;
  options.fault = [&cluster, &unclean_exits](std::mt19937& rng) {
    const int node = static_cast<int>(rng() % 2);
    const int status = cluster.StopAccess(node);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++unclean_exits;
    cluster.StartAccess(node);
  };
  const DeliveryCheckReport report = RunDeliveryCheck(options);
  std::cout << "delivery check (drains): " << report.Summary() << std::endl;
  EXPECT_TRUE(report.ok()) << report.Summary();
  EXPECT_EQ(unclean_exits, 0) << "a drained access node did not exit 0";
  EXPECT_GT(report.acked, 100u) << "too little traffic to mean anything";
  EXPECT_GT(report.reconnects, report.devices) << "no reconnects happened";
  ExpectEveryTransportCarried(report);
}

// Two replicas of logic and of storage: each fault kills (-9) one replica of
// one tier, at random, and starts it again. Calls on the dead replica fail
// "try again" (clients resend with the same client id) or time out; the
// next calls and the hot streams go to the live replica.
TEST(DeliveryCheckTest, NoLossDuplicationOrReorderingThroughLogicAndStorageReplicaKills) {
  ClusterOptions cluster_options;
  cluster_options.access_nodes = 2;
  cluster_options.logic_replicas = 2;
  cluster_options.storage_replicas = 2;
  TestCluster cluster(cluster_options);

  DeliveryCheckOptions options = TrafficOver(cluster);
  int logic_kills = 0, storage_kills = 0;
  options.fault = [&](std::mt19937& rng) {
    const int replica = static_cast<int>(rng() % 2);
    if (rng() % 2 == 0) {
      cluster.KillLogicReplica(replica);
      cluster.StartLogicReplica(replica);
      ++logic_kills;
    } else {
      cluster.KillStorageReplica(replica);
      cluster.StartStorageReplica(replica);
      ++storage_kills;
    }
  };
  const DeliveryCheckReport report = RunDeliveryCheck(options);
  std::cout << "delivery check (replica kills: " << logic_kills << " logic, " << storage_kills
            << " storage): " << report.Summary() << std::endl;
  EXPECT_TRUE(report.ok()) << report.Summary();
  EXPECT_GT(logic_kills + storage_kills, 2) << "too few faults to mean anything";
  EXPECT_GT(report.acked, 100u) << "too little traffic to mean anything";
  EXPECT_GT(report.group_acked, 30u) << "too little group traffic to mean anything";
}

// The same replica kills with both webhooks on (a before_send hook that
// allows everything, so every send waits for an HTTP answer, and an
// after_send hook) and a customer-service desk in the traffic (user dc0 is a
// desk whose agents are dc1 and dc2: every message to dc0 is routed to one
// of them): still no loss, duplicate or reordering for the devices, and
// every acknowledged message reaches after_send at least once, though the
// logic replica delivering it or the storage replica that wrote it died.
TEST(DeliveryCheckTest, WebhooksAndADeskThroughLogicAndStorageReplicaKills) {
  std::mutex mutex;
  std::set<std::string> after_send_bodies;
  HookServer hooks([&](const HookServer::Request& r) {
    if (r.target == "/after") {
      std::lock_guard lock(mutex);
      after_send_bodies.insert(r.body);
    }
    return HookServer::Reply{200, R"({"action":"allow"})"};
  });
  ClusterOptions cluster_options;
  cluster_options.access_nodes = 2;
  cluster_options.logic_replicas = 2;
  cluster_options.storage_replicas = 2;
  TestCluster cluster(cluster_options);
  const std::string desk_file = cluster.dir() + "/desks.list";
  std::ofstream(desk_file) << "dc0: dc1 dc2\n";
  cluster.StopLogic();
  cluster.StartLogic({"--desk_file=" + desk_file,
                      "--webhook.before_send_url=" + hooks.url("/before"),
                      "--webhook.after_send_url=" + hooks.url("/after"),
                      "--webhook.after_send_timeout_ms=1000"});

  DeliveryCheckOptions options = TrafficOver(cluster);
  int kills = 0;
  options.fault = [&](std::mt19937& rng) {
    const int replica = static_cast<int>(rng() % 2);
    if (rng() % 2 == 0) {
      cluster.KillLogicReplica(replica);
      cluster.StartLogicReplica(replica);
    } else {
      cluster.KillStorageReplica(replica);
      cluster.StartStorageReplica(replica);
    }
    ++kills;
  };
  const DeliveryCheckReport report = RunDeliveryCheck(options);
  std::cout << "delivery check (webhooks and a desk, " << kills
            << " replica kills): " << report.Summary() << std::endl;
  // Every customer with a stored message to the desk has a ticket (a sender
  // is acked only once the desk has the conversation, and the checker's
  // senders send again until acked).
  const auto tickets = cluster.Query("SELECT COUNT(*) FROM desk_tickets");
  const auto customers = cluster.Query(
      "SELECT COUNT(DISTINCT m.sender_id) FROM messages m"
      " JOIN conversations c ON c.conv_id = m.conv_id AND c.kind = 1"
      " JOIN users d ON d.username = 'dc0'"
      " WHERE c.peer_key = CONCAT(LEAST(m.sender_id, d.user_id), ':',"
      "                           GREATEST(m.sender_id, d.user_id))"
      " AND m.sender_id <> d.user_id"
      " AND m.sender_id NOT IN (SELECT user_id FROM users WHERE username IN ('dc1', 'dc2'))");
  ASSERT_EQ(tickets.size(), 1u);
  ASSERT_EQ(customers.size(), 1u);
  std::cout << "desk: " << customers[0].U64(0) << " customers wrote to it, "
            << tickets[0].U64(0) << " tickets" << std::endl;
  EXPECT_GT(tickets[0].U64(0), 5u) << "the desk took part in the traffic";
  EXPECT_EQ(tickets[0].U64(0), customers[0].U64(0)) << "every customer who wrote has a ticket";
  EXPECT_TRUE(report.ok()) << report.Summary();
  EXPECT_GT(kills, 2) << "too few faults to mean anything";
  EXPECT_GT(report.acked, 100u) << "too little traffic to mean anything";

  // Every acked message reaches after_send; a replica killed mid-delivery
  // leaves its events due again when their lease (7 s here) runs out.
  const std::set<std::uint64_t> acked(report.acked_msg_ids.begin(), report.acked_msg_ids.end());
  std::set<std::uint64_t> delivered;
  std::size_t posts = 0;
  for (int i = 0; i < 300; ++i) {
    {
      std::lock_guard lock(mutex);
      posts = after_send_bodies.size();
      for (const std::string& body : after_send_bodies) {
        const std::size_t at = body.find("\"msg_id\":\"");
        if (at != std::string::npos) delivered.insert(std::stoull(body.substr(at + 10)));
      }
    }
    if (std::includes(delivered.begin(), delivered.end(), acked.begin(), acked.end())) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::vector<std::uint64_t> missing;
  std::set_difference(acked.begin(), acked.end(), delivered.begin(), delivered.end(),
                      std::back_inserter(missing));
  std::cout << "after_send: " << acked.size() << " acked messages, " << delivered.size()
            << " delivered (" << posts << " distinct posts), " << missing.size() << " missing"
            << std::endl;
  EXPECT_TRUE(missing.empty()) << missing.size() << " acked messages never reached after_send";
}

}  // namespace
}  // namespace im::testing
