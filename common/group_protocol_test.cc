#include "common/group_protocol.h"

#include <gtest/gtest.h>

#include "client.pb.h"
#include "storage.pb.h"

namespace im::common {
namespace {

client::GroupChangeRequest OnGroup(std::uint64_t group_id) {
  client::GroupChangeRequest change;
  change.set_group_id(group_id);
  return change;
}

TEST(GroupProtocolTest, NamesAreNotBlankAndAtMost64Bytes) {
  EXPECT_TRUE(ValidateGroupName("friends").ok());
  EXPECT_TRUE(ValidateGroupName(std::string(64, 'x')).ok());
  EXPECT_EQ(ValidateGroupName("").message(), "the group needs a name");
  EXPECT_EQ(ValidateGroupName(" \t ").message(), "the group needs a name");
  EXPECT_EQ(ValidateGroupName(std::string(65, 'x')).message(), "a group name is at most 64 bytes");
}

TEST(GroupProtocolTest, AChangeNamesItsGroupAndOneChangeWithinItsLimits) {
  EXPECT_EQ(ValidateGroupChange(OnGroup(7)).message(), "no group change given");
  auto no_group = OnGroup(0);
  no_group.set_leave(true);
  EXPECT_EQ(ValidateGroupChange(no_group).message(), "which group? (group_id)");

  auto invite = OnGroup(7);
  invite.mutable_invite();
  EXPECT_EQ(ValidateGroupChange(invite).message(), "invite whom?");
  invite.mutable_invite()->add_usernames("bob");
  EXPECT_TRUE(ValidateGroupChange(invite).ok());

  auto rename = OnGroup(7);
  rename.set_rename(" ");
  EXPECT_FALSE(ValidateGroupChange(rename).ok());

  auto announce = OnGroup(7);
  announce.set_announce(std::string(1024, 'a'));
  EXPECT_TRUE(ValidateGroupChange(announce).ok());
  announce.set_announce(std::string(1025, 'a'));
  EXPECT_EQ(ValidateGroupChange(announce).message(), "an announcement is at most 1024 bytes");

  auto mute = OnGroup(7);
  mute.mutable_mute()->set_user("bob");
  mute.mutable_mute()->set_muted(true);
  mute.mutable_mute()->set_minutes(kMaxGroupMuteMinutes);
  EXPECT_TRUE(ValidateGroupChange(mute).ok());
  mute.mutable_mute()->set_minutes(kMaxGroupMuteMinutes + 1);
  EXPECT_EQ(ValidateGroupChange(mute).code(), absl::StatusCode::kInvalidArgument);

  auto dissolve = OnGroup(7);
  dissolve.set_dissolve(true);
  EXPECT_TRUE(ValidateGroupChange(dissolve).ok());
}

// Storage checks its own GroupChange with the same template and limits.
TEST(GroupProtocolTest, StoragesGroupChangeIsCheckedAlike) {
  internal::GroupChange change;
  EXPECT_EQ(ValidateGroupChange(change).message(), "which group? (group_id)");
  change.set_group_id(7);
  EXPECT_EQ(ValidateGroupChange(change).message(), "no group change given");
  change.mutable_invite();
  EXPECT_EQ(ValidateGroupChange(change).message(), "invite whom?");
  change.set_announce(std::string(kMaxGroupAnnouncementBytes + 1, 'a'));
  EXPECT_EQ(ValidateGroupChange(change).message(), "an announcement is at most 1024 bytes");
  change.set_rename("book club");
  EXPECT_TRUE(ValidateGroupChange(change).ok());
}

}  // namespace
}  // namespace im::common
