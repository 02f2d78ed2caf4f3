#include "client-cli/desk_commands.h"

#include <gtest/gtest.h>

#include <sstream>

namespace im::cli {
namespace {

TEST(DeskCommandsTest, ParsesEachVerb) {
  auto reply = ParseDeskCommand({"reply", "support", "carol", "it", "ships", "today"}, 0);
  ASSERT_TRUE(reply.ok()) << reply.status();
  const auto& desk = reply->request.desk();
  EXPECT_EQ(desk.desk(), "support");
  EXPECT_EQ(desk.reply().customer(), "carol");
  EXPECT_EQ(desk.reply().text(), "it ships today");
  EXPECT_FALSE(desk.reply().client_msg_id().empty()) << "so a resend is stored once";

  auto transfer = ParseDeskCommand({"transfer", "support", "carol", "ben"}, 0);
  ASSERT_TRUE(transfer.ok());
  EXPECT_EQ(transfer->request.desk().transfer().to_agent(), "ben");
  auto history = ParseDeskCommand({"history", "support", "carol"}, 20);
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->request.desk().history().limit(), 20u);
  EXPECT_TRUE(ParseDeskCommand({"list", "support"}, 0)->request.desk().has_list());
  EXPECT_TRUE(ParseDeskCommand({"close", "support", "carol"}, 0)->request.desk().has_close());

  for (const std::vector<std::string>& bad :
       std::vector<std::vector<std::string>>{{},
                                             {"list"},
                                             {"reply", "support", "carol"},
                                             {"transfer", "support", "carol"},
                                             {"close", "support"},
                                             {"frobnicate", "support", "carol"}}) {
    auto parsed = ParseDeskCommand(bad, 0);
    ASSERT_FALSE(parsed.ok());
    EXPECT_NE(parsed.status().message().find("usage: im-cli desk"), std::string::npos);
  }
}

TEST(DeskCommandsTest, PrintsTheListAndEvents) {
  auto list = ParseDeskCommand({"list", "support"}, 0);
  ASSERT_TRUE(list.ok());
  client::ServerFrame answer;
  auto* mine = answer.mutable_desk()->add_mine();
  mine->set_customer("carol");
  mine->set_agent("ann");
  answer.mutable_desk()->add_queued()->set_customer("dave");
  std::ostringstream text, json;
  list->print(answer, false, text);
  list->print(answer, true, json);
  EXPECT_NE(text.str().find("yours:  carol"), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("queued: dave"), std::string::npos) << text.str();
  EXPECT_NE(json.str().find("\"customer\":\"dave\",\"agent\":\"\",\"queued\":true"),
            std::string::npos)
      << json.str();
  std::ostringstream empty;
  list->print(client::ServerFrame(), false, empty);
  EXPECT_EQ(empty.str(), "no open conversations at support\n");

  client::DeskEvent event;
  event.set_desk("support");
  event.set_customer("carol");
  event.set_type("message");
  event.mutable_message()->set_text("hi");
  EXPECT_EQ(FormatDeskEvent(event, false), "[desk support] carol: hi");
  event.set_type("assigned");
  event.set_agent("ann");
  EXPECT_EQ(FormatDeskEvent(event, false),
            "[desk support] carol's conversation is yours (from ann): "
            "`im-cli desk history support carol`");
}

}  // namespace
}  // namespace im::cli
