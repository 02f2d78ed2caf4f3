#include "storage/desk_store.h"

#include <gtest/gtest.h>

#include <thread>

#include "storage/storage_test_env.h"

namespace im::storage {
namespace {

class DeskStoreTest : public ::testing::Test {
 protected:
  DeskStore desks_{GetStorageTestEnv().mysql_pool.get()};
  const std::uint64_t desk_ = NewTestUser("desk");
  const std::uint64_t ann_ = NewTestUser("agent_ann");
  const std::uint64_t ben_ = NewTestUser("agent_ben");
};

TEST_F(DeskStoreTest, ACustomerGoesToTheOnlineAgentWithFewestOpenTicketsAndStaysThere) {
  const auto c1 = NewTestUser("cust"), c2 = NewTestUser("cust"), c3 = NewTestUser("cust");
  auto t1 = desks_.Route(desk_, c1, {ann_, ben_});
  ASSERT_TRUE(t1.ok()) << t1.status();
  EXPECT_TRUE(t1->opened());
  EXPECT_TRUE(t1->assigned());
  EXPECT_EQ(t1->agent_id(), ann_) << "a tie goes to the first listed";
  auto t2 = desks_.Route(desk_, c2, {ann_, ben_});
  ASSERT_TRUE(t2.ok());
  EXPECT_EQ(t2->agent_id(), ben_) << "ann has one open, ben none";
  auto t3 = desks_.Route(desk_, c3, {ann_, ben_});
  ASSERT_TRUE(t3.ok());
  EXPECT_EQ(t3->agent_id(), ann_);

  // A later message of c1 stays with ann, even with only ben online.
  auto again = desks_.Route(desk_, c1, {ben_});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->ticket_id(), t1->ticket_id());
  EXPECT_EQ(again->agent_id(), ann_);
  EXPECT_FALSE(again->opened());
  EXPECT_FALSE(again->assigned());

  auto view = desks_.View(desk_, ann_);
  ASSERT_TRUE(view.ok());
  ASSERT_EQ(view->mine_size(), 2);
  EXPECT_EQ(view->mine(0).customer_id(), c1);
  EXPECT_EQ(view->mine(1).customer_id(), c3);
  EXPECT_EQ(view->queued_size(), 0);
}

TEST_F(DeskStoreTest, WithNobodyOnlineTicketsQueueAndGoToTheFirstAgentWhoComes) {
  const auto c1 = NewTestUser("cust"), c2 = NewTestUser("cust");
  auto q1 = desks_.Route(desk_, c1, {});
  auto q2 = desks_.Route(desk_, c2, {});
  ASSERT_TRUE(q1.ok() && q2.ok());
  EXPECT_EQ(q1->agent_id(), 0u);
  EXPECT_FALSE(q1->assigned());
  auto again = desks_.Route(desk_, c1, {});  // a second message while queued
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->ticket_id(), q1->ticket_id());

  auto view = desks_.View(desk_, ben_);
  ASSERT_TRUE(view.ok());
  ASSERT_EQ(view->queued_size(), 2);
  EXPECT_EQ(view->queued(0).customer_id(), c1);

  auto given = desks_.AssignQueued(desk_, ben_, 100);
  ASSERT_TRUE(given.ok()) << given.status();
  ASSERT_EQ(given->size(), 2u);
  EXPECT_EQ((*given)[0].customer_id(), c1) << "oldest first";
  EXPECT_EQ((*given)[1].agent_id(), ben_);
  EXPECT_TRUE(desks_.AssignQueued(desk_, ann_, 100)->empty());
  EXPECT_EQ(desks_.Open(desk_, c2)->agent_id(), ben_);

  // A queued ticket also goes to an agent when its customer writes again.
  const auto c3 = NewTestUser("cust");
  ASSERT_EQ(desks_.Route(desk_, c3, {})->agent_id(), 0u);
  auto routed = desks_.Route(desk_, c3, {ann_});
  ASSERT_TRUE(routed.ok());
  EXPECT_EQ(routed->agent_id(), ann_);
  EXPECT_TRUE(routed->assigned());
  EXPECT_FALSE(routed->opened());
}

TEST_F(DeskStoreTest, OnlyTheHolderTransfersOrClosesAndALaterMessageOpensANewTicket) {
  const auto c = NewTestUser("cust");
  auto t = desks_.Route(desk_, c, {ann_});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(desks_.Transfer(desk_, c, ben_, ann_).status().code(),
            absl::StatusCode::kPermissionDenied);
  auto moved = desks_.Transfer(desk_, c, ann_, ben_);
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(moved->agent_id(), ben_);
  EXPECT_EQ(desks_.Close(desk_, c, ann_).status().code(), absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(desks_.Close(desk_, c, ben_).ok());
  EXPECT_EQ(desks_.Open(desk_, c).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(desks_.Close(desk_, c, ben_).status().code(), absl::StatusCode::kNotFound);

  auto next = desks_.Route(desk_, c, {ann_, ben_});
  ASSERT_TRUE(next.ok());
  EXPECT_TRUE(next->opened());
  EXPECT_NE(next->ticket_id(), t->ticket_id());
  EXPECT_EQ(desks_.Route(NewTestUser("x") + 1000000, c, {}).status().code(),
            absl::StatusCode::kNotFound)
      << "no such desk account";
}

TEST_F(DeskStoreTest, ConcurrentCustomersAreSpreadEvenly) {
  std::vector<std::uint64_t> customers;
  for (int i = 0; i < 12; ++i) customers.push_back(NewTestUser("crowd"));
  std::vector<std::thread> threads;
  for (std::uint64_t c : customers) {
    threads.emplace_back([&, c] { EXPECT_TRUE(desks_.Route(desk_, c, {ann_, ben_}).ok()); });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(desks_.View(desk_, ann_)->mine_size(), 6);
  EXPECT_EQ(desks_.View(desk_, ben_)->mine_size(), 6);
}

}  // namespace
}  // namespace im::storage
