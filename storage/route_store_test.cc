#include "storage/route_store.h"

#include <gtest/gtest.h>

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
