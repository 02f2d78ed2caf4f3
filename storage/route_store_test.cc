#include "storage/route_store.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "storage/storage_test_env.h"

namespace im::storage {
namespace {

internal::Route MakeRoute(const std::string& device, std::uint64_t conn) {
  internal::Route r;
  r.set_device_id(device);
  r.set_access_node_id("node-1");
  r.set_access_endpoint("127.0.0.1:7100");
  r.set_conn_id(conn);
  return r;
}

class RouteStoreTest : public ::testing::Test {
 protected:
  RouteStore routes_{GetStorageTestEnv().redis_pool.get(), 3600};
  // Routes of node-1 count only while it holds its lease.
  void SetUp() override { ASSERT_TRUE(routes_.RenewLease("node-1", 600000).ok()); }
};

TEST_F(RouteStoreTest, RegisterLookupAndEpochGrowsPerDevice) {
  auto first = routes_.Register(501, MakeRoute("phone", 11));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->has_replaced());
  auto second = routes_.Register(501, MakeRoute("phone", 12));
  ASSERT_TRUE(second.ok());
  EXPECT_GT(second->epoch(), first->epoch());
  ASSERT_TRUE(second->has_replaced());
  EXPECT_EQ(second->replaced().conn_id(), 11u);
  ASSERT_TRUE(routes_.Register(501, MakeRoute("laptop", 13)).ok());

  auto found = routes_.Lookup({501, 502});
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->users_size(), 2);
  EXPECT_EQ(found->users(0).routes_size(), 2);
  EXPECT_EQ(found->users(1).routes_size(), 0);
}

// max_devices counts the devices with a route on a node that holds its
// lease: a new device past it is refused and nothing is stored; the same
// device always gets in; a route on a node without a lease does not count.
TEST_F(RouteStoreTest, ACapOnDevicesRefusesANewDeviceOnlyWhileThatManyAreOnline) {
  constexpr std::uint64_t kUser = 551;
  ASSERT_TRUE(routes_.Register(kUser, MakeRoute("phone", 1), 2).ok());
  ASSERT_TRUE(routes_.Register(kUser, MakeRoute("laptop", 2), 2).ok());
  auto refused = routes_.Register(kUser, MakeRoute("pad", 3), 2);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted) << refused.status();
  EXPECT_NE(refused.status().message().find("online on 2 devices"), std::string::npos);
  auto found = routes_.Lookup({kUser});
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->users(0).routes_size(), 2) << "the refused route was stored";

  auto again = routes_.Register(kUser, MakeRoute("phone", 4), 2);
  ASSERT_TRUE(again.ok()) << "the same device is let in: " << again.status();
  EXPECT_EQ(again->replaced().conn_id(), 1u);
  EXPECT_TRUE(routes_.Register(kUser, MakeRoute("pad", 3), 3).ok()) << "a higher cap lets it in";

  // The laptop's and pad's routes move to a node with no lease: they no
  // longer count, so a fourth device gets in under a cap of 2.
  for (const char* device : {"laptop", "pad"}) {
    internal::Route on_dead = MakeRoute(device, 5);
    on_dead.set_access_node_id("node-without-lease");
    ASSERT_TRUE(routes_.Register(kUser, on_dead).ok());
  }
  EXPECT_TRUE(routes_.Register(kUser, MakeRoute("watch", 6), 2).ok());
  EXPECT_EQ(routes_.Register(kUser, MakeRoute("tv", 7), 2).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST_F(RouteStoreTest, RemoveWithAStaleEpochKeepsTheNewerLogin) {
  auto old_login = routes_.Register(601, MakeRoute("phone", 1));
  auto new_login = routes_.Register(601, MakeRoute("phone", 2));
  ASSERT_TRUE(old_login.ok() && new_login.ok());
  auto stale = routes_.Remove(601, "phone", old_login->epoch());
  ASSERT_TRUE(stale.ok());
  EXPECT_FALSE(*stale);
  auto found = routes_.Lookup({601});
  ASSERT_EQ(found->users(0).routes_size(), 1);
  EXPECT_EQ(found->users(0).routes(0).conn_id(), 2u);

  auto current = routes_.Remove(601, "phone", new_login->epoch());
  ASSERT_TRUE(current.ok());
  EXPECT_TRUE(*current);
  EXPECT_EQ(routes_.Lookup({601})->users(0).routes_size(), 0);
}

TEST_F(RouteStoreTest, RoutesOfANodeWithoutALeaseAreIgnored) {
  internal::Route on_dead = MakeRoute("tablet", 21);
  on_dead.set_access_node_id("node-dead");
  ASSERT_TRUE(routes_.Register(701, on_dead).ok());
  ASSERT_TRUE(routes_.Register(701, MakeRoute("phone", 22)).ok());
  auto found = routes_.Lookup({701});
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->users(0).routes_size(), 1);
  EXPECT_EQ(found->users(0).routes(0).device_id(), "phone");

  // The lease taken, its routes count (once the cached check is stale, or at
  // once on the replica that renewed it).
  auto first = routes_.RenewLease("node-dead", 60000);
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(*first);  // taken anew
  auto again = routes_.RenewLease("node-dead", 60000);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(*again);
  EXPECT_EQ(routes_.Lookup({701})->users(0).routes_size(), 2);

  // Another replica that never renewed it checks Redis.
  RouteStore other(GetStorageTestEnv().redis_pool.get(), 3600);
  EXPECT_EQ(other.Lookup({701})->users(0).routes_size(), 2);
}

TEST_F(RouteStoreTest, ALapsedLeaseIsTakenAnewAndItsRoutesDisappear) {
  internal::Route route = MakeRoute("phone", 31);
  route.set_access_node_id("node-brief");
  ASSERT_TRUE(routes_.RenewLease("node-brief", 1000).ok());
  ASSERT_TRUE(routes_.Register(702, route).ok());
  RouteStore other(GetStorageTestEnv().redis_pool.get(), 3600);
  EXPECT_EQ(other.Lookup({702})->users(0).routes_size(), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100 + RouteStore::kLeaseCheckMs));
  EXPECT_EQ(other.Lookup({702})->users(0).routes_size(), 0);
  auto renewed = routes_.RenewLease("node-brief", 60000);
  ASSERT_TRUE(renewed.ok());
  EXPECT_FALSE(*renewed);  // lapsed: the node must restore its routes
}

TEST_F(RouteStoreTest, RestorePutsLostRoutesBackWithTheirEpochsAndNeverOverANewerLogin) {
  auto phone = routes_.Register(703, MakeRoute("phone", 41));
  ASSERT_TRUE(phone.ok());
  internal::Route lost = MakeRoute("phone", 41);
  lost.set_epoch(phone->epoch());
  // Redis loses the user's keys (a restart without them, a flush).
  {
    auto conn = GetStorageTestEnv().redis_pool->Acquire();
    ASSERT_TRUE(conn.ok());
    ASSERT_TRUE((*conn)->Command({"DEL", "im:routes:703", "im:route_epochs:703"}).ok());
  }
  EXPECT_EQ(routes_.Lookup({703})->users(0).routes_size(), 0);
  auto restored = routes_.Restore({{703, lost}});
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ(*restored, 1u);
  auto found = routes_.Lookup({703});
  ASSERT_EQ(found->users(0).routes_size(), 1);
  EXPECT_EQ(found->users(0).routes(0).epoch(), phone->epoch());
  EXPECT_EQ(*routes_.Restore({{703, lost}}), 0u);  // already there

  // A later login still gets a greater epoch, and an old route never
  // replaces it.
  auto newer = routes_.Register(703, MakeRoute("phone", 42));
  ASSERT_TRUE(newer.ok());
  EXPECT_GT(newer->epoch(), phone->epoch());
  EXPECT_EQ(*routes_.Restore({{703, lost}}), 0u);
  EXPECT_EQ(routes_.Lookup({703})->users(0).routes(0).conn_id(), 42u);
}

TEST(RouteCodecTest, EncodeDecodeRoundTripAndRejectsJunk) {
  internal::Route r = MakeRoute("d", 42);
  r.set_epoch(7);
  internal::Route back;
  ASSERT_TRUE(DecodeRoute("d", EncodeRoute(r), &back));
  EXPECT_EQ(back.SerializeAsString(), r.SerializeAsString());
  EXPECT_FALSE(DecodeRoute("d", "garbage", &back));
  EXPECT_FALSE(DecodeRoute("d", "x|n|e|1", &back));
}

}  // namespace
}  // namespace im::storage
