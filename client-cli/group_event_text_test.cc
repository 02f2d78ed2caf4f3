#include "client-cli/group_event_text.h"

#include <gtest/gtest.h>

#include "client-cli/cli_output.h"

namespace im::cli {
namespace {

using Event = client::GroupEvent;

Event Make(Event::Type type, std::vector<std::string> users = {}, std::string text = "") {
  Event event;
  event.set_type(type);
  event.set_actor("alice");
  for (auto& user : users) event.add_users(user);
  event.set_text(text);
  return event;
}

// The sentences im-cli printed when the server still stored them.
TEST(GroupEventTextTest, EachEventReadsAsItAlwaysHas) {
  EXPECT_EQ(DescribeGroupEvent(Make(Event::CREATED, {}, "team")),
            "alice created the group \"team\"");
  EXPECT_EQ(DescribeGroupEvent(Make(Event::CREATED, {"bob", "carol"}, "team")),
            "alice created the group \"team\" with bob, carol");
  Event added = Make(Event::ADDED, {"bob", "carol"});
  added.set_more_users(3);
  EXPECT_EQ(DescribeGroupEvent(added), "alice added bob, carol and 3 others");
  EXPECT_EQ(DescribeGroupEvent(Make(Event::REMOVED, {"bob"})), "alice removed bob");
  EXPECT_EQ(DescribeGroupEvent(Make(Event::LEFT)), "alice left the group");
  EXPECT_EQ(DescribeGroupEvent(Make(Event::DISSOLVED)), "alice dissolved the group");
  EXPECT_EQ(DescribeGroupEvent(Make(Event::RENAMED, {}, "books")),
            "alice renamed the group to \"books\"");
  EXPECT_EQ(DescribeGroupEvent(Make(Event::ANNOUNCED, {}, "read ch. 2")),
            "alice posted an announcement: read ch. 2");
  EXPECT_EQ(DescribeGroupEvent(Make(Event::ANNOUNCED)), "alice cleared the announcement");
  Event admin = Make(Event::ROLE_CHANGED, {"bob"});
  admin.set_role(client::GROUP_ROLE_ADMIN);
  EXPECT_EQ(DescribeGroupEvent(admin), "alice made bob an admin");
  admin.set_role(client::GROUP_ROLE_MEMBER);
  EXPECT_EQ(DescribeGroupEvent(admin), "alice made bob a member");
  EXPECT_EQ(DescribeGroupEvent(Make(Event::TRANSFERRED, {"bob"})), "alice made bob the owner");
  Event muted = Make(Event::MUTED, {"bob"});
  EXPECT_EQ(DescribeGroupEvent(muted), "alice muted bob until unmuted");
  muted.set_minutes(1);
  EXPECT_EQ(DescribeGroupEvent(muted), "alice muted bob for 1 minute");
  muted.set_minutes(5);
  EXPECT_EQ(DescribeGroupEvent(muted), "alice muted bob for 5 minutes");
  EXPECT_EQ(DescribeGroupEvent(Make(Event::UNMUTED, {"bob"})), "alice unmuted bob");
  Event all = Make(Event::MUTE_ALL);
  all.set_on(true);
  EXPECT_EQ(DescribeGroupEvent(all),
            "alice turned on mute-all: only the owner and admins can send");
  all.set_on(false);
  EXPECT_EQ(DescribeGroupEvent(all), "alice turned off mute-all");
}

TEST(GroupEventTextTest, AnEventNewerThanThisClientStillSaysWhoChangedTheGroup) {
  Event future = Make(Event::UNKNOWN);
  future.set_type(static_cast<Event::Type>(99));
  EXPECT_EQ(DescribeGroupEvent(future), "alice changed the group");
}

TEST(GroupEventTextTest, MessagesWordTheEventAndJsonAlsoCarriesItTyped) {
  client::ChatMessage m;
  m.set_group_id(12);
  m.set_kind("system");
  *m.mutable_group_event() = Make(Event::REMOVED, {"bob"});
  EXPECT_NE(FormatMessage(m, false).find("] g:12 * alice removed bob"), std::string::npos);
  const std::string json = FormatMessage(m, true);
  EXPECT_NE(json.find("\"text\":\"alice removed bob\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"event\":{\"type\":\"REMOVED\",\"actor\":\"alice\",\"users\":[\"bob\"]}"),
            std::string::npos)
      << json;
}

TEST(GroupRoleNameTest, NamesEachRole) {
  EXPECT_STREQ(GroupRoleName(client::GROUP_ROLE_OWNER), "owner");
  EXPECT_STREQ(GroupRoleName(client::GROUP_ROLE_ADMIN), "admin");
  EXPECT_STREQ(GroupRoleName(client::GROUP_ROLE_MEMBER), "member");
  EXPECT_STREQ(GroupRoleName(client::GROUP_ROLE_NONE), "none");
}

}  // namespace
}  // namespace im::cli
