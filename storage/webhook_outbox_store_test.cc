#include "storage/webhook_outbox_store.h"

#include <gtest/gtest.h>

#include <thread>

#include "storage/group_store.h"
#include "storage/message_store.h"
#include "storage/relation_store.h"
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

  // A user and their name.
  static std::pair<std::uint64_t, std::string> Named(const std::string& prefix) {
    static int counter = 0;
    const std::string name = prefix + "_w" + std::to_string(++counter);
    auto id = UserStore(GetStorageTestEnv().mysql_pool.get()).CreateUser(name, "hash");
    EXPECT_TRUE(id.ok()) << id.status();
    return {id.value_or(0), name};
  }
  std::vector<internal::OutboxEvent> ClaimAll() {
    auto due = outbox_.Claim(200, 60000);
    EXPECT_TRUE(due.ok()) << due.status();
    if (!due.ok()) return {};
    return {due->events().begin(), due->events().end()};
  }

  MessageStore messages_{GetStorageTestEnv().mysql_pool.get()};
  RelationStore relations_{GetStorageTestEnv().mysql_pool.get()};
  GroupStore groups_{GetStorageTestEnv().mysql_pool.get()};
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

TEST_F(WebhookOutboxStoreTest, RelationChangesThatHappenedAreRecordedWhenAsked) {
  const auto [alice, alice_name] = Named("outbox_alice");
  const auto [bob, bob_name] = Named("outbox_bob");
  ASSERT_EQ(*relations_.RequestFriend(alice, bob, "hi, it's alice", true), internal::REQUESTED);
  ASSERT_EQ(*relations_.RequestFriend(alice, bob, "again", true), internal::ALREADY_PENDING);
  ASSERT_EQ(*relations_.RespondFriend(bob, alice, true, true), internal::ACCEPTED);
  ASSERT_EQ(*relations_.SetBlock(bob, alice, true, /*record_event=*/false), internal::BLOCKED);
  ASSERT_EQ(*relations_.SetBlock(bob, alice, false, true), internal::UNBLOCKED);
  ASSERT_EQ(*relations_.RemoveFriend(alice, bob, true), internal::REMOVED);
  ASSERT_EQ(*relations_.RemoveFriend(alice, bob, true), internal::NOT_FRIENDS);

  std::vector<std::string> changes;
  for (const auto& e : ClaimAll()) {
    EXPECT_EQ(e.type(), "relation.changed");
    changes.push_back(e.relation().change() + " " + e.relation().user() + " " +
                      e.relation().peer());
  }
  EXPECT_EQ(changes, (std::vector<std::string>{"requested " + alice_name + " " + bob_name,
                                               "accepted " + bob_name + " " + alice_name,
                                               "unblocked " + bob_name + " " + alice_name,
                                               "removed " + alice_name + " " + bob_name}))
      << "nothing for ALREADY_PENDING, NOT_FRIENDS or what was not asked";
}

TEST_F(WebhookOutboxStoreTest, ARequestCarriesItsNoteAndIdsAndAGroupChangeItsSystemMessage) {
  const auto [alice, alice_name] = Named("outbox_carol");
  const auto [bob, bob_name] = Named("outbox_dave");
  ASSERT_TRUE(relations_.RequestFriend(alice, bob, "hello there", true).ok());
  auto created = groups_.Create(alice, "book club", {bob_name}, 10, true);
  ASSERT_TRUE(created.ok()) << created.status();
  internal::GroupChange rename;
  rename.set_group_id(created->group_id());
  rename.set_rename("film club");
  ASSERT_TRUE(groups_.Change(alice, rename, 10, true).ok());
  ASSERT_TRUE(groups_.Change(alice, rename, 10, true).ok());  // no change: nothing recorded

  const auto events = ClaimAll();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].relation().note(), "hello there");
  EXPECT_EQ(events[0].relation().user_id(), alice);
  EXPECT_EQ(events[0].relation().peer_id(), bob);
  EXPECT_EQ(events[1].type(), "group.changed");
  EXPECT_EQ(events[1].message().msg_id(), created->system_message().msg_id());
  EXPECT_EQ(events[1].message().group_id(), created->group_id());
  EXPECT_EQ(events[1].message().group_event().type(), internal::StoredGroupEvent::CREATED);
  EXPECT_EQ(events[1].message().group_event().text(), "book club");
  EXPECT_EQ(events[2].message().group_event().text(), "film club");
  EXPECT_EQ(events[2].message().sender(), alice_name);
}

}  // namespace
}  // namespace im::storage
