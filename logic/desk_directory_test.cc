#include "logic/desk_directory.h"

#include <gtest/gtest.h>

namespace im::logic {
namespace {

TEST(DeskDirectoryTest, ReadsDesksAndTheirAgents) {
  auto desks = DeskDirectory::Parse(
      "# desk: agents\n"
      "support: ann ben  carol   # three\n"
      "\n"
      "billing:dave ann ann\n",
      "desks.list");
  ASSERT_TRUE(desks.ok()) << desks.status();
  EXPECT_EQ((*desks)->desks(), 2u);
  ASSERT_NE((*desks)->AgentsOf("support"), nullptr);
  EXPECT_EQ(*(*desks)->AgentsOf("support"), (std::vector<std::string>{"ann", "ben", "carol"}));
  EXPECT_EQ(*(*desks)->AgentsOf("billing"), (std::vector<std::string>{"ann", "dave"}))
      << "sorted, each once";
  EXPECT_EQ((*desks)->AgentsOf("sales"), nullptr);
  EXPECT_TRUE((*desks)->IsAgent("support", "ben"));
  EXPECT_FALSE((*desks)->IsAgent("billing", "ben"));
  EXPECT_FALSE((*desks)->IsAgent("sales", "ben"));
  EXPECT_EQ((*desks)->DesksOf("ann"), (std::vector<std::string>{"billing", "support"}));
  EXPECT_TRUE((*desks)->DesksOf("eve").empty());
}

TEST(DeskDirectoryTest, EachMistakeNamesItsLine) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"support ann", "desks.list line 1: a line is 'desk: agent agent ...'"},
      {"\nsupport:", "desks.list line 2: a desk needs at least one agent"},
      {"a b: ann", "desks.list line 1: one desk account before the colon"},
      {"support: ann support", "desks.list line 1: the desk account cannot be its own agent"},
      {"support: ann\nsupport: ben", "desks.list line 2: desk 'support' is listed twice"},
  };
  for (const auto& [text, error] : cases) {
    auto desks = DeskDirectory::Parse(text, "desks.list");
    ASSERT_FALSE(desks.ok()) << text;
    EXPECT_EQ(desks.status().message(), error);
  }
  EXPECT_FALSE(DeskDirectory::Load("/nonexistent/desks.list").ok());
}

}  // namespace
}  // namespace im::logic
