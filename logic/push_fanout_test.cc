#include "logic/push_fanout.h"

#include <gtest/gtest.h>

#include <set>

#include "logic/handler_test_doubles.h"

namespace im::logic {
namespace {

internal::Route RouteOn(const std::string& node, std::uint64_t conn, const std::string& device) {
  internal::Route route;
  route.set_access_node_id(node);
  route.set_access_endpoint(node + ":7100");
  route.set_conn_id(conn);
  route.set_device_id(device);
  return route;
}

// alice (1): phone on a1 conn 10, laptop on a2 conn 20; bob (2): phone on a1
// conn 11; carol (3): offline.
internal::GetRoutesResponse ThreeUsers() {
  internal::GetRoutesResponse routes;
  auto* alice = routes.add_users();
  alice->set_user_id(1);
  *alice->add_routes() = RouteOn("a1", 10, "phone");
  *alice->add_routes() = RouteOn("a2", 20, "laptop");
  auto* bob = routes.add_users();
  bob->set_user_id(2);
  *bob->add_routes() = RouteOn("a1", 11, "phone");
  routes.add_users()->set_user_id(3);
  return routes;
}

// Which (user, conn) each endpoint was pushed.
std::map<std::string, std::set<std::pair<std::uint64_t, std::uint64_t>>> TargetsByEndpoint(
    const RecordedAccess& access) {
  std::map<std::string, std::set<std::pair<std::uint64_t, std::uint64_t>>> out;
  for (const auto& push : access.pushes()) {
    for (const auto& t : push.request.targets())
      out[push.endpoint].insert({t.user_id(), t.conn_id()});
  }
  return out;
}

class PushFanoutTest : public ::testing::Test {
 protected:
  PushFanoutTest() {
    storage_.Answer<internal::GetRoutesRequest, internal::GetRoutesResponse>(
        "GetRoutes", [](const internal::GetRoutesRequest&) { return ThreeUsers(); });
    storage_.Answer<internal::GetGroupRoutesRequest, internal::GetRoutesResponse>(
        "GetGroupRoutes", [](const internal::GetGroupRoutesRequest&) { return ThreeUsers(); });
  }

  client::ServerFrame Typing() {
    client::ServerFrame frame;
    frame.mutable_typing_event()->set_from_user("alice");
    return frame;
  }

  ScriptedStorage storage_;
  RecordedAccess access_;
  PushFanout fanout_{&storage_, &access_, /*notice_above_members=*/100};
};

TEST_F(PushFanoutTest, OnePushPerNodeCarryingAllOfItsTargetsButTheSendersConnection) {
  fanout_.PushToUsers({1, 2, 3}, Typing(), "a1", 10);
  EXPECT_EQ(storage_.LastRequest<internal::GetRoutesRequest>("GetRoutes").user_ids_size(), 3);
  const auto pushes = access_.pushes();
  ASSERT_EQ(pushes.size(), 2u);  // a1 and a2; carol is offline
  const auto targets = TargetsByEndpoint(access_);
  EXPECT_EQ(targets.at("a1:7100"), (std::set<std::pair<std::uint64_t, std::uint64_t>>{{2, 11}}));
  EXPECT_EQ(targets.at("a2:7100"), (std::set<std::pair<std::uint64_t, std::uint64_t>>{{1, 20}}));
  for (const auto& push : pushes) EXPECT_TRUE(push.request.frame().has_typing_event());
}

TEST_F(PushFanoutTest, NobodyOnlineMeansNoPushAndAFailedLookupPushesNothing) {
  storage_.Answer<internal::GetRoutesRequest, internal::GetRoutesResponse>(
      "GetRoutes", [](const internal::GetRoutesRequest&) { return internal::GetRoutesResponse(); });
  fanout_.PushToUsers({3}, Typing());
  EXPECT_TRUE(access_.pushes().empty());
  storage_.Answer<internal::GetRoutesRequest, internal::GetRoutesResponse>(
      "GetRoutes",
      [](const internal::GetRoutesRequest&) -> absl::StatusOr<internal::GetRoutesResponse> {
        return absl::UnavailableError("storage unavailable");
      });
  fanout_.PushToUsers({1, 2}, Typing());
  EXPECT_TRUE(access_.pushes().empty());
}

TEST_F(PushFanoutTest, ASmallGroupGetsTheMessageALargeOneANotice) {
  client::ChatMessage message;
  message.set_conv_id(7);
  message.set_group_id(7);
  message.set_seq(42);
  message.set_text("hello all");
  fanout_.PushGroupMessage(message, /*member_count=*/100, "a2", 20);
  auto pushes = access_.pushes();
  ASSERT_EQ(pushes.size(), 1u);  // a1 only: the sender's a2 connection is skipped
  EXPECT_EQ(pushes[0].request.frame().message().text(), "hello all");
  EXPECT_EQ(storage_.LastRequest<internal::GetGroupRoutesRequest>("GetGroupRoutes").seq(), 42u);

  fanout_.PushGroupMessage(message, /*member_count=*/101);
  pushes = access_.pushes();
  ASSERT_EQ(pushes.size(), 3u);
  for (std::size_t i = 1; i < pushes.size(); ++i) {
    EXPECT_FALSE(pushes[i].request.frame().has_message());
    EXPECT_EQ(pushes[i].request.frame().notice().conv_id(), 7u);
    EXPECT_EQ(pushes[i].request.frame().notice().max_seq(), 42u);
  }
}

}  // namespace
}  // namespace im::logic
