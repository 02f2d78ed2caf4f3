#include "storage/session_resumer.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <map>
#include <mutex>

#include "storage/storage_test_env.h"

namespace im::storage {
namespace {

class SessionResumerTest : public ::testing::Test {
 protected:
  UserStore users_{GetStorageTestEnv().mysql_pool.get()};
  RouteStore routes_{GetStorageTestEnv().redis_pool.get(), 3600};
  // Routes of node-1 count only while it holds its lease.
  void SetUp() override { ASSERT_TRUE(routes_.RenewLease("node-1", 600000).ok()); }
};

internal::ResumeSessionRequest Resume(const std::string& token_hash, std::uint64_t conn_id) {
  internal::ResumeSessionRequest r;
  r.set_token_hash(token_hash);
  r.mutable_route()->set_device_id("ignored: the session's device is used");
  r.mutable_route()->set_access_node_id("node-1");
  r.mutable_route()->set_access_endpoint("127.0.0.1:7100");
  r.mutable_route()->set_conn_id(conn_id);
  return r;
}

TEST_F(SessionResumerTest, ResolvesManyTokensAtOnceAndRegistersEachRouteOnItsDevice) {
  std::map<std::string, std::uint64_t> user_of;  // token hash -> user id
  for (int i = 0; i < 30; ++i) {
    const std::string name = "resumer_" + std::to_string(i);
    auto id = users_.CreateUser(name, "h");
    ASSERT_TRUE(id.ok()) << id.status();
    const std::string token = "resumer-token-" + std::to_string(i);
    ASSERT_TRUE(users_.CreateSession(token, *id, i % 2 ? "phone" : "laptop", 3600).ok());
    user_of[token] = *id;
  }
  SessionResumer resumer(&users_, &routes_, 2, 1000);
  std::mutex mutex;
  std::condition_variable all_done;
  std::map<std::string, absl::StatusOr<internal::ResumeSessionResponse>> results;
  std::vector<std::string> tokens;
  for (const auto& [token, id] : user_of) tokens.push_back(token);
  tokens.push_back("resumer-token-unknown");
  std::uint64_t conn = 100;
  for (const auto& token : tokens) {  // submitted back to back: they batch
    resumer.Submit(Resume(token, ++conn), [&, token](auto result) {
      std::lock_guard lock(mutex);
      results.emplace(token, std::move(result));
      all_done.notify_all();
    });
  }
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(all_done.wait_for(lock, std::chrono::seconds(10),
                                  [&] { return results.size() == tokens.size(); }));
  }
  EXPECT_EQ(results.at("resumer-token-unknown").status().code(), absl::StatusCode::kNotFound);
  for (const auto& [token, id] : user_of) {
    const auto& r = results.at(token);
    ASSERT_TRUE(r.ok()) << token << ": " << r.status();
    EXPECT_EQ(r->user_id(), id);
    EXPECT_EQ(r->username(), "resumer_" + token.substr(std::string("resumer-token-").size()));
    const std::string device = r->device_id();
    EXPECT_TRUE(device == "phone" || device == "laptop") << device;
    EXPECT_GT(r->route().epoch(), 0u);
    auto found = routes_.Lookup({id});
    ASSERT_TRUE(found.ok());
    ASSERT_EQ(found->users(0).routes_size(), 1);
    EXPECT_EQ(found->users(0).routes(0).device_id(), device);
  }
}

TEST_F(SessionResumerTest, ASessionNamedWithAnotherUserOrDeviceIsRefusedAndRegistersNothing) {
  auto id = users_.CreateUser("resumer_bound", "h");
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(users_.CreateSession("resumer-bound-token", *id, "phone", 3600).ok());
  SessionResumer resumer(&users_, &routes_, 1, 10);
  auto resume = [&](const std::string& username, const std::string& device) {
    auto request = Resume("resumer-bound-token", 7);
    request.set_username(username);
    request.set_device_id(device);
    std::promise<absl::StatusOr<internal::ResumeSessionResponse>> p;
    auto f = p.get_future();
    resumer.Submit(std::move(request), [&p](auto result) { p.set_value(std::move(result)); });
    return f.get();
  };
  EXPECT_EQ(resume("someone_else", "phone").status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(resume("resumer_bound", "laptop").status().code(), absl::StatusCode::kPermissionDenied);
  auto none = routes_.Lookup({*id});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->users(0).routes_size(), 0) << "a refused resume registered a route";
  EXPECT_TRUE(resume("resumer_bound", "phone").ok());
  EXPECT_TRUE(resume("", "").ok()) << "a request that names neither is not checked";
}

TEST_F(SessionResumerTest, ASecondResumeOfTheSameDeviceReplacesTheFirstRoute) {
  auto id = users_.CreateUser("resumer_again", "h");
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(users_.CreateSession("resumer-again-token", *id, "tablet", 3600).ok());
  SessionResumer resumer(&users_, &routes_, 1, 10);
  auto resume_once = [&](std::uint64_t conn_id) {
    std::promise<absl::StatusOr<internal::ResumeSessionResponse>> p;
    auto f = p.get_future();
    resumer.Submit(Resume("resumer-again-token", conn_id),
                   [&p](auto result) { p.set_value(std::move(result)); });
    return f.get();
  };
  auto first = resume_once(7);
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = resume_once(8);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_GT(second->route().epoch(), first->route().epoch());
  ASSERT_TRUE(second->route().has_replaced());
  EXPECT_EQ(second->route().replaced().conn_id(), 7u);
}

}  // namespace
}  // namespace im::storage
