#include "logic/push_order.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace im::logic {
namespace {

TEST(PushOrderTest, SendsInReservationOrderWhateverOrderTheyAreReleasedIn) {
  PushOrder order;
  std::vector<int> sent;
  const auto t0 = order.Reserve(7);
  const auto t1 = order.Reserve(7);
  const auto t2 = order.Reserve(7);
  order.Release(7, t2, [&] { sent.push_back(2); });
  order.Release(7, t0, [&] { sent.push_back(0); });
  EXPECT_EQ(sent, (std::vector<int>{0}));  // 2 waits for 1
  order.Release(7, t1, [&] { sent.push_back(1); });
  EXPECT_EQ(sent, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(order.pending_conversations(), 0u);
}

TEST(PushOrderTest, AnEmptyReleaseLetsLaterPushesGoAndConversationsAreIndependent) {
  PushOrder order;
  std::vector<int> sent;
  const auto a0 = order.Reserve(1);
  const auto b0 = order.Reserve(2);
  const auto a1 = order.Reserve(1);
  order.Release(1, a1, [&] { sent.push_back(11); });
  order.Release(2, b0, [&] { sent.push_back(20); });  // not held back by conversation 1
  EXPECT_EQ(sent, (std::vector<int>{20}));
  order.Release(1, a0, nullptr);  // its lookup failed: nothing to send
  EXPECT_EQ(sent, (std::vector<int>{20, 11}));
  EXPECT_EQ(order.pending_conversations(), 0u);
}

TEST(PushOrderTest, ConcurrentReleasesStillSendInOrder) {
  PushOrder order;
  constexpr int kPushes = 2000;
  std::vector<PushOrder::Ticket> tickets;
  for (int i = 0; i < kPushes; ++i) tickets.push_back(order.Reserve(9));
  std::vector<int> sent;  // only ever appended by one thread at a time
  auto release = [&](int first) {
    for (int i = first; i < kPushes; i += 2) {
      order.Release(9, tickets[i], [&sent, i] { sent.push_back(i); });
    }
  };
  std::thread odd(release, 1);
  release(0);
  odd.join();
  ASSERT_EQ(sent.size(), static_cast<std::size_t>(kPushes));
  for (int i = 0; i < kPushes; ++i) ASSERT_EQ(sent[i], i);
  EXPECT_EQ(order.pending_conversations(), 0u);
}

}  // namespace
}  // namespace im::logic
