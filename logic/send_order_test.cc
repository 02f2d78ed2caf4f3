#include "logic/send_order.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace im::logic {
namespace {

TEST(SendOrderTest, LaterSendsWaitForEarlierOnesOfTheSameConnection) {
  SendOrder order;
  std::vector<std::string> ran;
  auto first = order.Arrive("access-0", 7);
  auto second = order.Arrive("access-0", 7);
  auto third = order.Arrive("access-0", 7);
  auto elsewhere = order.Arrive("access-0", 8);  // another connection: its own line

  third->WhenFirst([&] {
    ran.push_back("third");
    third->Done();
  });
  second->WhenFirst([&] {
    ran.push_back("second");
    second->Done();
  });
  elsewhere->WhenFirst([&] {
    ran.push_back("elsewhere");
    elsewhere->Done();
  });
  EXPECT_EQ(ran, std::vector<std::string>{"elsewhere"});

  first->WhenFirst([&] {
    ran.push_back("first");
    first->Done();
  });
  EXPECT_EQ(ran, (std::vector<std::string>{"elsewhere", "first", "second", "third"}));
}

TEST(SendOrderTest, ASendThatGivesUpLetsTheNextGo) {
  SendOrder order;
  bool ran = false;
  auto failing = order.Arrive("access-0", 1);
  auto next = order.Arrive("access-0", 1);
  next->WhenFirst([&] { ran = true; });
  EXPECT_FALSE(ran);
  failing.reset();  // dropped without an append (say, no such recipient)
  EXPECT_TRUE(ran);
}

TEST(SendOrderTest, AGivenUpTurnInTheMiddleDoesNotHoldTheLine) {
  SendOrder order;
  std::vector<int> ran;
  auto a = order.Arrive("n", 1);
  auto b = order.Arrive("n", 1);
  auto c = order.Arrive("n", 1);
  b.reset();  // gave up while a still works
  c->WhenFirst([&] { ran.push_back(3); });
  EXPECT_TRUE(ran.empty());
  a->WhenFirst([&] { ran.push_back(1); });
  a->Done();
  EXPECT_EQ(ran, (std::vector<int>{1, 3}));
}

}  // namespace
}  // namespace im::logic
