#include "storage/group_store.h"

#include <gtest/gtest.h>

#include "common/str_cat.h"
#include "storage/conversation_store.h"
#include "storage/message_store.h"
#include "storage/storage_test_env.h"

namespace im::storage {
namespace {

using common::StrCat;

constexpr std::uint32_t kLimit = 5;

struct TestUser {
  std::uint64_t id;
  std::string name;
};

class GroupStoreTest : public ::testing::Test {
 protected:
  static TestUser NewUser(const std::string& prefix) {
    static int counter = 0;
    const std::string name = prefix + "_g" + std::to_string(++counter);
    UserStore users(GetStorageTestEnv().mysql_pool.get());
    auto id = users.CreateUser(name, "hash");
    EXPECT_TRUE(id.ok()) << id.status();
    return {id.value_or(0), name};
  }

  std::uint64_t Create(const TestUser& owner, std::vector<std::string> members) {
    auto created = groups_.Create(owner.id, "team", members, kLimit);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? created->group_id() : 0;
  }

  absl::StatusOr<internal::GroupChangeResult> Invite(const TestUser& actor, std::uint64_t group,
                                                     std::vector<std::string> names) {
    internal::GroupChange change;
    change.set_group_id(group);
    for (auto& n : names) change.mutable_invite()->add_usernames(n);
    return groups_.Change(actor.id, change, kLimit);
  }

  absl::StatusOr<internal::GroupChangeResult> Kick(const TestUser& actor, std::uint64_t group,
                                                   const TestUser& target) {
    internal::GroupChange change;
    change.set_group_id(group);
    change.set_kick(target.name);
    return groups_.Change(actor.id, change, kLimit);
  }

  std::vector<std::uint64_t> SyncedSeqs(const TestUser& user, std::uint64_t group) {
    auto page = conversations_.Sync(user.id, "dev", 500);
    EXPECT_TRUE(page.ok()) << page.status();
    std::vector<std::uint64_t> seqs;
    if (!page.ok()) return seqs;
    for (const auto& m : page->messages()) {
      if (m.conv_id() == group) seqs.push_back(m.seq());
    }
    return seqs;
  }

  MysqlPool* pool_ = GetStorageTestEnv().mysql_pool.get();
  GroupStore groups_{pool_};
  MessageStore messages_{pool_};
  ConversationStore conversations_{pool_};
};

TEST_F(GroupStoreTest, CreateRecordsASystemMessageAndRoles) {
  const auto owner = NewUser("own"), bob = NewUser("bob");
  auto created = groups_.Create(owner.id, "team", {bob.name, bob.name, owner.name}, kLimit);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->member_count(), 2u);
  EXPECT_EQ(created->system_message().seq(), 1u);
  const internal::StoredMessage& recorded = created->system_message();
  EXPECT_EQ(recorded.kind(), "system");
  EXPECT_TRUE(recorded.text().empty());
  EXPECT_EQ(recorded.group_event().type(), internal::StoredGroupEvent::CREATED);
  EXPECT_EQ(recorded.group_event().actor(), owner.name);
  EXPECT_EQ(recorded.group_event().text(), "team");
  ASSERT_EQ(recorded.group_event().users_size(), 1);  // bob once; the owner is not listed
  EXPECT_EQ(recorded.group_event().users(0), bob.name);

  auto info = groups_.Info(bob.id, created->group_id());
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->owner(), owner.name);
  EXPECT_EQ(info->my_role(), internal::GROUP_ROLE_MEMBER);
  EXPECT_EQ(info->member_count(), 2u);
}

// What a change returns is what every later read serves: the event's type,
// actor, users, count of users not listed, role and minutes, and nobody can
// recall it to erase the group's record.
TEST_F(GroupStoreTest, GroupEventsReadBackAsRecordedAndCannotBeRecalled) {
  const auto owner = NewUser("own"), bob = NewUser("bob");
  std::vector<std::string> crowd;
  for (int i = 0; i < 12; ++i) crowd.push_back(NewUser("c").name);
  constexpr std::uint32_t kRoomy = 20;
  auto created = groups_.Create(owner.id, "crowd", {}, kRoomy);
  ASSERT_TRUE(created.ok()) << created.status();
  const std::uint64_t group = created->group_id();
  std::vector<internal::StoredMessage> returned = {created->system_message()};
  auto change = [&](auto fill) {
    internal::GroupChange request;
    request.set_group_id(group);
    fill(request);
    auto result = groups_.Change(owner.id, request, kRoomy);
    ASSERT_TRUE(result.ok()) << result.status();
    ASSERT_TRUE(result->changed());
    returned.push_back(result->system_message());
  };
  change([&](auto& r) {
    for (const auto& name : crowd) r.mutable_invite()->add_usernames(name);
    r.mutable_invite()->add_usernames(bob.name);
  });
  change([&](auto& r) {
    r.mutable_set_role()->set_user(bob.name),
        r.mutable_set_role()->set_role(internal::GROUP_ROLE_ADMIN);
  });
  change([&](auto& r) {
    r.mutable_mute()->set_user(crowd[0]), r.mutable_mute()->set_muted(true),
        r.mutable_mute()->set_minutes(5);
  });
  change([&](auto& r) { r.set_rename("a \"quoted\" name"); });

  const internal::StoredGroupEvent& added = returned[1].group_event();
  EXPECT_EQ(added.type(), internal::StoredGroupEvent::ADDED);
  EXPECT_EQ(added.users_size(), 10);
  EXPECT_EQ(added.more_users(), 3u);
  EXPECT_EQ(returned[2].group_event().role(), internal::GROUP_ROLE_ADMIN);
  EXPECT_EQ(returned[3].group_event().minutes(), 5u);

  internal::ConversationRef ref;
  ref.set_user_id(owner.id);
  ref.set_group_id(group);
  auto history = conversations_.History(ref, 0, 100);
  ASSERT_TRUE(history.ok()) << history.status();
  ASSERT_EQ(history->messages_size(), static_cast<int>(returned.size()));
  for (int i = 0; i < history->messages_size(); ++i) {
    EXPECT_EQ(history->messages(i).DebugString(), returned[i].DebugString()) << "event " << i;
  }

  auto recall = messages_.Recall(owner.id, returned[0].msg_id(), 60'000);
  EXPECT_EQ(recall.status().code(), absl::StatusCode::kFailedPrecondition) << recall.status();

  // A row recorded before events were typed holds its sentence: served as text.
  {
    auto lease = pool_->Acquire();
    ASSERT_TRUE(lease.ok());
    ASSERT_TRUE((*lease)
                    ->Execute("UPDATE messages SET kind = 'system', body = ? WHERE msg_id = ?",
                              {std::string_view("own renamed the group to \"old\""),
                               returned.back().msg_id()})
                    .ok());
  }
  auto legacy = conversations_.History(ref, 0, 100);
  ASSERT_TRUE(legacy.ok()) << legacy.status();
  const internal::StoredMessage& old = legacy->messages(legacy->messages_size() - 1);
  EXPECT_EQ(old.kind(), "system");
  EXPECT_FALSE(old.has_group_event());
  EXPECT_EQ(old.text(), "own renamed the group to \"old\"");
}

TEST_F(GroupStoreTest, UnknownUserOrLimitRefusesTheWholeInvite) {
  const auto owner = NewUser("own"), a = NewUser("a"), b = NewUser("b");
  const auto group = Create(owner, {});
  auto unknown = Invite(owner, group, {a.name, "no_such_user_xyz"});
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  std::vector<std::string> many;
  for (int i = 0; i < 5; ++i) many.push_back(NewUser("m").name);  // 1 + 5 > kLimit
  EXPECT_EQ(Invite(owner, group, many).status().code(), absl::StatusCode::kFailedPrecondition);

  auto info = groups_.Info(owner.id, group);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->member_count(), 1u);  // neither request added anyone
  EXPECT_EQ(info->max_seq(), 1u);       // nor recorded anything
  EXPECT_EQ(groups_.Info(a.id, group).status().code(), absl::StatusCode::kPermissionDenied);

  auto again = Invite(owner, group, {a.name, b.name});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->changed());
  auto repeat = Invite(owner, group, {a.name});
  ASSERT_TRUE(repeat.ok());
  EXPECT_FALSE(repeat->changed());  // already a member: nothing recorded
}

TEST_F(GroupStoreTest, MembersSeeFromTheirJoinToTheirRemoval) {
  const auto owner = NewUser("own"), early = NewUser("early"), late = NewUser("late");
  const auto group = Create(owner, {early.name});                          // seq 1
  ASSERT_TRUE(messages_.AppendGroup(owner.id, group, "", "before").ok());  // seq 2
  ASSERT_TRUE(Invite(owner, group, {late.name}).ok());                     // seq 3
  ASSERT_TRUE(messages_.AppendGroup(late.id, group, "", "hello").ok());    // seq 4
  ASSERT_TRUE(Kick(owner, group, early).ok());                             // seq 5
  ASSERT_TRUE(messages_.AppendGroup(owner.id, group, "", "after").ok());   // seq 6

  EXPECT_EQ(SyncedSeqs(early, group), (std::vector<std::uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(SyncedSeqs(late, group), (std::vector<std::uint64_t>{3, 4, 5, 6}));
  EXPECT_EQ(messages_.AppendGroup(early.id, group, "", "still here?").status().code(),
            absl::StatusCode::kPermissionDenied);

  internal::ConversationRef ref;
  ref.set_user_id(late.id);
  ref.set_group_id(group);
  auto history = conversations_.History(ref, 0, 100);
  ASSERT_TRUE(history.ok()) << history.status();
  ASSERT_EQ(history->messages_size(), 4);
  EXPECT_EQ(history->messages(0).seq(), 3u);
  ref.set_user_id(early.id);
  EXPECT_EQ(conversations_.History(ref, 0, 100).status().code(),
            absl::StatusCode::kPermissionDenied);

  auto recipients = groups_.Recipients(group, 5);  // the kick reaches the kicked
  ASSERT_TRUE(recipients.ok());
  EXPECT_EQ(recipients->size(), 3u);
  recipients = groups_.Recipients(group, 6);
  ASSERT_TRUE(recipients.ok());
  EXPECT_EQ(recipients->size(), 2u);

  // Unread counts start at the join: late has seen its own message only.
  auto list = conversations_.List(late.id);
  ASSERT_TRUE(list.ok());
  bool found = false;
  for (const auto& c : list->conversations()) {
    if (c.group_id() != group) continue;
    found = true;
    EXPECT_EQ(c.group_name(), "team");
    EXPECT_EQ(c.unread(), 2u);  // the kick and "after"
  }
  EXPECT_TRUE(found);
}

TEST_F(GroupStoreTest, MuteAndMuteAllRefuseSendsUnderTheGroupLock) {
  const auto owner = NewUser("own"), admin = NewUser("adm"), member = NewUser("mem");
  const auto group = Create(owner, {admin.name, member.name});
  internal::GroupChange change;
  change.set_group_id(group);
  change.mutable_set_role()->set_user(admin.name);
  change.mutable_set_role()->set_role(internal::GROUP_ROLE_ADMIN);
  ASSERT_TRUE(groups_.Change(owner.id, change, kLimit).ok());

  change.mutable_mute()->set_user(member.name);
  change.mutable_mute()->set_muted(true);
  change.mutable_mute()->set_minutes(5);
  ASSERT_TRUE(groups_.Change(admin.id, change, kLimit).ok());
  EXPECT_EQ(messages_.AppendGroup(member.id, group, "", "x").status().code(),
            absl::StatusCode::kPermissionDenied);
  change.mutable_mute()->set_muted(false);
  ASSERT_TRUE(groups_.Change(admin.id, change, kLimit).ok());
  EXPECT_TRUE(messages_.AppendGroup(member.id, group, "", "x").ok());

  change.set_mute_all(true);
  ASSERT_TRUE(groups_.Change(owner.id, change, kLimit).ok());
  EXPECT_EQ(messages_.AppendGroup(member.id, group, "", "y").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(messages_.AppendGroup(admin.id, group, "", "y").ok());
}

TEST_F(GroupStoreTest, TransferThenTheOldOwnerMayLeaveAndDissolveEndsEveryMembership) {
  const auto owner = NewUser("own"), heir = NewUser("heir"), other = NewUser("oth");
  const auto group = Create(owner, {heir.name, other.name});
  internal::GroupChange leave;
  leave.set_group_id(group);
  leave.set_leave(true);
  EXPECT_EQ(groups_.Change(owner.id, leave, kLimit).status().code(),
            absl::StatusCode::kFailedPrecondition);
  internal::GroupChange transfer;
  transfer.set_group_id(group);
  transfer.set_transfer(heir.name);
  ASSERT_TRUE(groups_.Change(owner.id, transfer, kLimit).ok());
  auto left = groups_.Change(owner.id, leave, kLimit);
  ASSERT_TRUE(left.ok()) << left.status();
  EXPECT_EQ(left->member_count(), 2u);

  internal::GroupChange dissolve;
  dissolve.set_group_id(group);
  dissolve.set_dissolve(true);
  EXPECT_EQ(groups_.Change(other.id, dissolve, kLimit).status().code(),
            absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(groups_.Change(heir.id, dissolve, kLimit).ok());
  EXPECT_EQ(groups_.Info(heir.id, group).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(messages_.AppendGroup(heir.id, group, "", "z").status().code(),
            absl::StatusCode::kNotFound);
  auto synced = SyncedSeqs(other, group);
  ASSERT_FALSE(synced.empty());
  EXPECT_EQ(synced.back(), 4u);  // created, transfer, leave, dissolve
}

TEST_F(GroupStoreTest, ResendToAGroupReturnsTheOriginal) {
  const auto owner = NewUser("own");
  const auto group = Create(owner, {});
  auto first = messages_.AppendGroup(owner.id, group, "cid-1", "once");
  auto again = messages_.AppendGroup(owner.id, group, "cid-1", "once");
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(first->msg_id(), again->msg_id());
  EXPECT_TRUE(again->duplicate());
  EXPECT_EQ(messages_.AppendGroup(owner.id, group, "cid-1", "different").status().code(),
            absl::StatusCode::kAlreadyExists);
}

TEST_F(GroupStoreTest, TenThousandMembersFitTheDefaultLimitAndOneMoreIsRefused) {
  auto conn = pool_->Acquire();
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE((*conn)
                  ->Execute("INSERT INTO users (username, password_hash, created_at_ms)"
                            " SELECT CONCAT('tenk_', seq), 'hash', 0 FROM seq_1_to_10001",
                            {})
                  .ok());
  const auto owner = NewUser("own");
  const auto group = groups_.Create(owner.id, "huge", {}, 10000);
  ASSERT_TRUE(group.ok());
  internal::GroupChange change;
  change.set_group_id(group->group_id());
  for (int i = 1; i <= 9999; ++i) change.mutable_invite()->add_usernames(StrCat("tenk_", i));
  auto invited = groups_.Change(owner.id, change, 10000);
  ASSERT_TRUE(invited.ok()) << invited.status();
  EXPECT_EQ(invited->member_count(), 10000u);

  change.mutable_invite()->clear_usernames();
  change.mutable_invite()->add_usernames("tenk_10001");
  EXPECT_EQ(groups_.Change(owner.id, change, 10000).status().code(),
            absl::StatusCode::kFailedPrecondition);
  auto recipients = groups_.Recipients(group->group_id(), invited->system_message().seq());
  ASSERT_TRUE(recipients.ok());
  EXPECT_EQ(recipients->size(), 10000u);
}

}  // namespace
}  // namespace im::storage
