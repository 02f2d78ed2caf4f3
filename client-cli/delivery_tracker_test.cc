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
}

TEST(DeliveryTrackerTest, SyncIsTrustedPastAGapTheServerSaysTheDeviceHas) {
  DeliveryTracker t;
  t.OfferSynced(M(1, 1));
  // Seq 2 was this device's own send, whose ack never arrived: the server's
  // cursor moved past it, so Sync continues at 3.
  EXPECT_EQ(t.OfferSynced(M(1, 3)), Verdict::kDeliver);
  EXPECT_EQ(t.contiguous(1), 3u);
  EXPECT_EQ(t.OfferPush(M(1, 4)), Verdict::kDeliver);
}

TEST(DeliveryTrackerTest, OwnSendsAdvanceTheConversationOnlyWhenContiguous) {
  DeliveryTracker t;
  t.OfferSynced(M(1, 4));
  t.TakeAcks();
  t.OfferOwn(1, 5);  // next in order: the device has it
  EXPECT_EQ(t.contiguous(1), 5u);
  EXPECT_EQ(t.OfferPush(M(1, 6)), Verdict::kDeliver);
  t.OfferOwn(1, 8);  // 7 is missing: nothing changes
  EXPECT_EQ(t.contiguous(1), 6u);
  t.OfferOwn(2, 1);  // a conversation not synced yet: Sync will start it
  EXPECT_EQ(t.contiguous(2), 0u);
  auto acks = t.TakeAcks();
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].seq(), 6u);
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
