#include "storage/user_store.h"

#include <gtest/gtest.h>

#include "storage/storage_test_env.h"

namespace im::storage {
namespace {

class UserStoreTest : public ::testing::Test {
 protected:
  UserStore store_{GetStorageTestEnv().mysql_pool.get()};
};

TEST_F(UserStoreTest, CreatesAndFindsUsersByNameAndId) {
  auto id = store_.CreateUser("ustore_alice", "hash-a");
  ASSERT_TRUE(id.ok()) << id.status();
  auto by_name = store_.FindByName("ustore_alice");
  ASSERT_TRUE(by_name.ok()) << by_name.status();
  EXPECT_EQ(by_name->user_id(), *id);
  EXPECT_EQ(by_name->password_hash(), "hash-a");
  EXPECT_GT(by_name->created_at_ms(), 0);
  auto by_id = store_.FindById(*id);
  ASSERT_TRUE(by_id.ok());
  EXPECT_EQ(by_id->username(), "ustore_alice");
}

TEST_F(UserStoreTest, DuplicateNameIsAlreadyExists) {
  ASSERT_TRUE(store_.CreateUser("ustore_dup", "h").ok());
  auto again = store_.CreateUser("ustore_dup", "h2");
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store_.FindByName("ustore_dup")->password_hash(), "h");
}

TEST_F(UserStoreTest, NamesAreCaseSensitiveAndMissingIsNotFound) {
  ASSERT_TRUE(store_.CreateUser("ustore_Case", "h").ok());
  EXPECT_EQ(store_.FindByName("ustore_case").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_.FindById(987654321).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(UserStoreTest, LongValuesRoundTrip) {
  const std::string hash(200, 'h');  // longer than the fetch buffer
  ASSERT_TRUE(store_.CreateUser("ustore_long", hash).ok());
  EXPECT_EQ(store_.FindByName("ustore_long")->password_hash(), hash);
}

TEST_F(UserStoreTest, SessionsResolveUntilTheyExpire) {
  auto id = store_.CreateUser("ustore_sess", "h");
  ASSERT_TRUE(id.ok());
  const std::string token_hash("\x01\x00\xff token", 9);  // binary-safe
  ASSERT_TRUE(store_.CreateSession(token_hash, *id, "phone", 3600).ok());
  auto session = store_.FindSession(token_hash);
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_EQ(session->user_id(), *id);
  EXPECT_EQ(session->device_id(), "phone");
  EXPECT_EQ(session->username(), "ustore_sess");
  EXPECT_EQ(store_.FindSession("unknown").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(UserStoreTest, SessionsAreListedRevokedByDeviceAndSweptOnceExpired) {
  auto id = store_.CreateUser("ustore_devs", "old-hash");
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(store_.CreateSession("devs-phone-1", *id, "phone", 3600).ok());
  ASSERT_TRUE(store_.CreateSession("devs-phone-2", *id, "phone", 3600).ok());
  ASSERT_TRUE(store_.CreateSession("devs-laptop", *id, "laptop", 3600).ok());
  ASSERT_TRUE(store_.CreateSession("devs-tablet", *id, "tablet", 3600).ok());
  ASSERT_TRUE(store_.CreateSession("devs-expired", *id, "old", -1).ok());
  auto listed = store_.ListSessions(*id);
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(listed->sessions_size(), 4) << "the expired one is not listed";

  internal::RevokeSessionsRequest phone;
  phone.set_user_id(*id);
  phone.set_device_id("phone");
  auto revoked = store_.RevokeSessions(phone);
  ASSERT_TRUE(revoked.ok()) << revoked.status();
  EXPECT_EQ(revoked->revoked(), 2u);
  ASSERT_EQ(revoked->devices_size(), 1);
  EXPECT_EQ(revoked->devices(0), "phone");

  // A password change keeps the current device's sessions only.
  internal::RevokeSessionsRequest others;
  others.set_user_id(*id);
  others.set_device_id("laptop");
  others.set_all_but_device(true);
  others.set_password_hash("new-hash");
  auto changed = store_.RevokeSessions(others);
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_EQ(changed->revoked(), 2u) << "tablet and the expired one";
  EXPECT_EQ(store_.FindByName("ustore_devs")->password_hash(), "new-hash");
  EXPECT_TRUE(store_.FindSession("devs-laptop").ok());
  EXPECT_FALSE(store_.FindSession("devs-tablet").ok());

  ASSERT_TRUE(store_.CreateSession("devs-expired-2", *id, "old", -1).ok());
  auto swept = store_.DeleteExpiredSessions(1000);
  ASSERT_TRUE(swept.ok()) << swept.status();
  EXPECT_GE(*swept, 1u);
  EXPECT_EQ(*store_.DeleteExpiredSessions(1000), 0u) << "nothing expired is left";
  EXPECT_EQ(store_.ListSessions(*id)->sessions_size(), 1);
}

}  // namespace
}  // namespace im::storage
