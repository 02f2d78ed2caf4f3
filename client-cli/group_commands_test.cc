#include "client-cli/group_commands.h"

#include <gtest/gtest.h>

#include "client-cli/target.h"

namespace im::cli {
namespace {

TEST(GroupCommandsTest, BuildsRequestsFromWords) {
  auto invite = ParseGroupCommand({"invite", "g:12", "bob", "carol"}, {});
  ASSERT_TRUE(invite.ok()) << invite.status();
  const auto& change = invite->request.group_change();
  EXPECT_EQ(change.group_id(), 12u);
  ASSERT_EQ(change.invite().usernames_size(), 2);
  EXPECT_EQ(change.invite().usernames(1), "carol");

  auto mute = ParseGroupCommand({"mute", "7", "bob"}, GroupCommandOptions{15, 0, 0});
  ASSERT_TRUE(mute.ok());
  EXPECT_TRUE(mute->request.group_change().mute().muted());
  EXPECT_EQ(mute->request.group_change().mute().minutes(), 15u);

  auto rename = ParseGroupCommand({"rename", "7", "the", "new", "name"}, {});
  ASSERT_TRUE(rename.ok());
  EXPECT_EQ(rename->request.group_change().rename(), "the new name");

  auto create = ParseGroupCommand({"create", "team", "bob"}, {});
  ASSERT_TRUE(create.ok());
  EXPECT_EQ(create->request.group_create().name(), "team");
  EXPECT_EQ(create->request.group_create().members_size(), 1);
}

TEST(GroupCommandsTest, RefusesMalformedCommands) {
  EXPECT_FALSE(ParseGroupCommand({}, {}).ok());
  EXPECT_FALSE(ParseGroupCommand({"explode", "1"}, {}).ok());
  EXPECT_FALSE(ParseGroupCommand({"kick", "1"}, {}).ok());          // whom?
  EXPECT_FALSE(ParseGroupCommand({"kick", "x1", "bob"}, {}).ok());  // bad id
  EXPECT_FALSE(ParseGroupCommand({"role", "1", "bob", "king"}, {}).ok());
  EXPECT_FALSE(ParseGroupCommand({"mute-all", "1", "maybe"}, {}).ok());
  EXPECT_FALSE(ParseGroupCommand({"leave", "0"}, {}).ok());
}

TEST(TargetTest, UsersAndGroups) {
  auto user = ParseTarget("bob");
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(user->peer, "bob");
  auto group = ParseTarget("g:42");
  ASSERT_TRUE(group.ok());
  EXPECT_EQ(group->group_id, 42u);
  EXPECT_EQ(TargetName(*group), "g:42");
  EXPECT_FALSE(ParseTarget("g:").ok());
  EXPECT_FALSE(ParseTarget("g:4x").ok());
}

}  // namespace
}  // namespace im::cli
