#include "storage/webhook_outbox_store.h"

#include <gtest/gtest.h>

#include <thread>

#include "storage/message_store.h"
#include "storage/storage_test_env.h"

namespace im::storage {
namespace {

class WebhookOutboxStoreTest : public ::testing::Test {
 protected:
  // Every test starts with an empty outbox (the database is shared).
  void SetUp() override {
    for (;;) {
      auto due = outbox_.Claim(200, 0);
      ASSERT_TRUE(due.ok()) << due.status();
      if (due->events().empty()) break;
      internal::FinishWebhookEventsRequest finish;
      for (const auto& e : due->events()) finish.add_delivered(e.event_id());
      ASSERT_TRUE(outbox_.Finish(finish).ok());
    }
  }

  static Append WithEvent(std::uint64_t from, std::uint64_t to, std::string client_id,
                          std::string text) {
    Append a;
    a.sender_id = from;
    a.recipient_id = to;
    a.client_msg_id = std::move(client_id);
    a.body = std::move(text);
    a.webhook_event.emplace();
    a.webhook_event->set_type("message.sent");
    a.webhook_event->mutable_message()->set_sender("alice");
    a.webhook_event->mutable_message()->set_recipient("bob");
    return a;
  }

  MessageStore messages_{GetStorageTestEnv().mysql_pool.get()};
  WebhookOutboxStore outbox_{GetStorageTestEnv().mysql_pool.get()};
};

TEST_F(WebhookOutboxStoreTest, EachNewMessageRecordsOneEventWithWhatWasStored) {
  const auto a = NewTestUser("outbox_a1"), b = NewTestUser("outbox_b1");
  std::vector<Append> batch;
  batch.push_back(WithEvent(a, b, "k1", "hello"));
  batch.push_back(WithEvent(a, b, "k1", "hello"));  // a resend within the batch
  batch.push_back(WithEvent(a, b, "k2", "second"));
  Append plain;  // no event asked for
  plain.sender_id = b;
  plain.recipient_id = a;
  plain.body = "not recorded";
  batch.push_back(plain);
  ASSERT_TRUE(messages_.AppendMany(batch).ok());
  std::vector<Append> again;
  again.push_back(WithEvent(a, b, "k1", "hello"));  // a resend later
  ASSERT_TRUE(messages_.AppendMany(again).ok());
  ASSERT_TRUE(again[0].result.ok());
  EXPECT_TRUE(again[0].result->duplicate());

  auto due = outbox_.Claim(10, 60000);
  ASSERT_TRUE(due.ok()) << due.status();
  ASSERT_EQ(due->events_size(), 2) << due->DebugString();
  const auto& first = due->events(0);
  EXPECT_GT(first.event_id(), 0u);
  EXPECT_EQ(first.type(), "message.sent");
  EXPECT_EQ(first.attempts(), 0u);
  EXPECT_GT(first.created_at_ms(), 0);
  const auto& stored = *batch[0].result;
  EXPECT_EQ(first.message().msg_id(), stored.msg_id());
  EXPECT_EQ(first.message().conv_id(), stored.conv_id());
  EXPECT_EQ(first.message().seq(), stored.seq());
  EXPECT_EQ(first.message().sent_at_ms(), stored.sent_at_ms());
  EXPECT_EQ(first.message().sender_id(), a);
  EXPECT_EQ(first.message().sender(), "alice");
  EXPECT_EQ(first.message().recipient(), "bob");
  EXPECT_EQ(first.message().kind(), "text");
  EXPECT_EQ(first.message().text(), "hello");
  EXPECT_EQ(due->events(1).message().text(), "second");
  EXPECT_EQ(due->events(1).message().seq(), stored.seq() + 1);
}

TEST_F(WebhookOutboxStoreTest, ARefusedAppendRecordsNothing) {
  const auto a = NewTestUser("outbox_a2"), b = NewTestUser("outbox_b2");
  std::vector<Append> batch;
  batch.push_back(WithEvent(a, b, "", "refused"));
  batch[0].precondition = RelationPrecondition{999999, 999999};  // stale versions
  ASSERT_TRUE(messages_.AppendMany(batch).ok());
  EXPECT_EQ(batch[0].result.status().code(), absl::StatusCode::kFailedPrecondition);
  auto due = outbox_.Claim(10, 60000);
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(due->events_size(), 0);
}

TEST_F(WebhookOutboxStoreTest, ClaimedEventsAreLeasedAndFinishedOnesLeaveOrComeBackLater) {
  const auto a = NewTestUser("outbox_a3"), b = NewTestUser("outbox_b3");
  std::vector<Append> batch;
  for (int i = 0; i < 3; ++i) batch.push_back(WithEvent(a, b, "", "m" + std::to_string(i)));
  ASSERT_TRUE(messages_.AppendMany(batch).ok());

  auto claimed = outbox_.Claim(2, 60000);
  ASSERT_TRUE(claimed.ok());
  ASSERT_EQ(claimed->events_size(), 2);
  auto rest = outbox_.Claim(10, 60000);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->events_size(), 1) << "the leased two are not handed out again";
  EXPECT_EQ(rest->events(0).message().text(), "m2");

  internal::FinishWebhookEventsRequest finish;
  finish.add_delivered(claimed->events(0).event_id());
  auto* now = finish.add_retry();
  now->set_event_id(claimed->events(1).event_id());
  now->set_delay_ms(0);
  auto* later = finish.add_retry();
  later->set_event_id(rest->events(0).event_id());
  later->set_delay_ms(60000);
  ASSERT_TRUE(outbox_.Finish(finish).ok());

  auto due = outbox_.Claim(10, 60000);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->events_size(), 1) << due->DebugString();
  EXPECT_EQ(due->events(0).event_id(), claimed->events(1).event_id());
  EXPECT_EQ(due->events(0).attempts(), 1u);
  EXPECT_EQ(due->events(0).message().text(), "m1");
}

TEST_F(WebhookOutboxStoreTest, AnExpiredLeaseMakesTheEventDueAgain) {
  const auto a = NewTestUser("outbox_a4"), b = NewTestUser("outbox_b4");
  std::vector<Append> batch;
  batch.push_back(WithEvent(a, b, "", "lost with its claimer"));
  ASSERT_TRUE(messages_.AppendMany(batch).ok());
  auto claimed = outbox_.Claim(10, 50);
  ASSERT_TRUE(claimed.ok());
  ASSERT_EQ(claimed->events_size(), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto again = outbox_.Claim(10, 60000);
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->events_size(), 1);
  EXPECT_EQ(again->events(0).event_id(), claimed->events(0).event_id());
  EXPECT_EQ(again->events(0).attempts(), 0u) << "an expired lease is no failed attempt";
}

}  // namespace
}  // namespace im::storage
