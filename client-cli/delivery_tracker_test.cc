#include "client-cli/delivery_tracker.h"

#include <gtest/gtest.h>

namespace im::cli {
namespace {

using Verdict = DeliveryTracker::Verdict;

client::ChatMessage M(std::uint64_t conv, std::uint64_t seq) {
  client::ChatMessage m;
  m.set_conv_id(conv);
  m.set_seq(seq);
  return m;
}

TEST(DeliveryTrackerTest, PushForAnUnsyncedConversationAsksForSync) {
  DeliveryTracker t;
  EXPECT_EQ(t.OfferPush(M(1, 1)), Verdict::kNeedSync);
}

TEST(DeliveryTrackerTest, SyncStartsAConversationThenPushesContinueInOrder) {
  DeliveryTracker t;
  EXPECT_EQ(t.OfferSynced(M(1, 5)), Verdict::kDeliver);  // cursor was 4
  EXPECT_EQ(t.OfferSynced(M(1, 6)), Verdict::kDeliver);
  EXPECT_EQ(t.OfferPush(M(1, 7)), Verdict::kDeliver);
  EXPECT_EQ(t.OfferPush(M(1, 7)), Verdict::kDuplicate);
  EXPECT_EQ(t.OfferPush(M(1, 6)), Verdict::kDuplicate);
  EXPECT_EQ(t.OfferPush(M(1, 9)), Verdict::kNeedSync);  // 8 is missing
  EXPECT_EQ(t.contiguous(1), 7u);
  EXPECT_EQ(t.OfferSynced(M(1, 9)), Verdict::kNeedSync);  // a sync gap is a gap too
}

TEST(DeliveryTrackerTest, AcksCarryTheHighestContiguousSeqOncePerConversation) {
  DeliveryTracker t;
  t.OfferSynced(M(1, 1));
  t.OfferSynced(M(1, 2));
  t.OfferSynced(M(2, 10));
  auto acks = t.TakeAcks();
  ASSERT_EQ(acks.size(), 2u);
  EXPECT_EQ(acks[0].conv_id(), 1u);
  EXPECT_EQ(acks[0].seq(), 2u);
  EXPECT_EQ(acks[1].seq(), 10u);
  EXPECT_TRUE(t.TakeAcks().empty());
}

}  // namespace
}  // namespace im::cli
