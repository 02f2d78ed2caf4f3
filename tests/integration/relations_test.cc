// The relationship chain over TCP: friend requests, friends, blocks, the
// message policy and the events both users' devices receive.

#include <atomic>
#include <set>
#include <thread>

#include "client-cli/requests.h"
#include "tests/integration/cluster_env.h"

namespace im::testing {
namespace {

using absl::StatusCode;
using cli::ImClient;
using std::chrono::milliseconds;
using std::chrono::seconds;

absl::StatusOr<client::ServerFrame> Do(ImClient& c, client::ClientFrame frame) {
  return c.Request(std::move(frame));
}

StatusCode CodeOf(ImClient& c, client::ClientFrame frame) {
  return Do(c, std::move(frame)).status().code();
}

std::set<std::string> Friends(ImClient& c) {
  std::set<std::string> names;
  auto list = Do(c, cli::FriendListFrame());
  EXPECT_TRUE(list.ok()) << list.status();
  if (list.ok()) {
    for (const auto& f : list->friend_list().friends()) names.insert(f.username());
  }
  return names;
}

// The next FriendEvent on `c` within `within`, skipping other frames.
absl::StatusOr<client::FriendEvent> NextFriendEvent(ImClient& c, milliseconds within = seconds(5)) {
  auto event = NextEventMatching(
      c, [](const client::ServerFrame& f) { return f.has_friend_event(); }, within);
  if (!event.ok()) return event.status();
  return event->friend_event();
}

// Messages from `sender` to `recipient` stored in MariaDB.
std::uint64_t StoredCount(const std::string& sender, const std::string& recipient) {
  auto rows = SharedCluster().Query(
      "SELECT COUNT(*) FROM messages m JOIN users s ON s.user_id = m.sender_id"
      " JOIN conversation_members cm ON cm.conv_id = m.conv_id"
      " JOIN users r ON r.user_id = cm.user_id WHERE s.username = ? AND r.username = ?",
      {sender, recipient});
  return rows.at(0).U64(0);
}

void MakeFriends(ImClient& a, const std::string& a_name, ImClient& b, const std::string& b_name) {
  ASSERT_TRUE(Do(a, cli::FriendRequestFrame(b_name)).ok());
  ASSERT_TRUE(Do(b, cli::FriendRequestFrame(a_name)).ok());  // meets a's request
}

TEST(RelationsTest, RequestRefusalsAndNoDuplicatePending) {
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob");
  auto a = RegisterAndLogin(alice);
  auto b = RegisterAndLogin(bob);
  EXPECT_EQ(CodeOf(*a, cli::FriendRequestFrame(alice)), StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(*a, cli::FriendRequestFrame(UniqueName("ghost"))), StatusCode::kNotFound);

  auto first = Do(*a, cli::FriendRequestFrame(bob, "hi, it's alice"));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->friend_request().already_pending());
  auto second = Do(*a, cli::FriendRequestFrame(bob));
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->friend_request().already_pending());
  auto pending = Do(*b, cli::FriendPendingFrame());
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->friend_pending().incoming_size(), 1);
  EXPECT_EQ(pending->friend_pending().incoming(0).username(), alice);
  EXPECT_EQ(pending->friend_pending().incoming(0).note(), "hi, it's alice");

  ASSERT_TRUE(Do(*b, cli::FriendRespondFrame(alice, true)).ok());
  auto again = Do(*a, cli::FriendRequestFrame(bob));
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(again.status().message(), "you are already friends with " + bob);
}

TEST(RelationsTest, OnlinePeerIsNotifiedAtOnceOfflinePeerSeesItOnLogin) {
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob"),
                    carol = UniqueName("carol");
  auto a = RegisterAndLogin(alice);
  auto b = RegisterAndLogin(bob, 1);
  ASSERT_TRUE(Do(*a, cli::FriendRequestFrame(bob, "note")).ok());
  auto event = NextFriendEvent(*b);
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->kind(), client::FriendEvent::REQUESTED);
  EXPECT_EQ(event->from_user(), alice);
  EXPECT_EQ(event->note(), "note");

  { RegisterAndLogin(carol); }  // carol goes offline
  ASSERT_TRUE(Do(*a, cli::FriendRequestFrame(carol)).ok());
  auto c = Connect();
  ASSERT_TRUE(c->Login(carol, kPassword).ok());
  auto pending = Do(*c, cli::FriendPendingFrame());
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->friend_pending().incoming_size(), 1);
  EXPECT_EQ(pending->friend_pending().incoming(0).username(), alice);
}

TEST(RelationsTest, MutualRequestsBecomeFriendsAndEveryDeviceOfBothIsTold) {
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob");
  auto a_phone = RegisterAndLogin(alice, 0, "phone");
  auto a_laptop = Connect(1);
  ASSERT_TRUE(a_laptop->Login(alice, kPassword, "laptop").ok());
  auto b = RegisterAndLogin(bob);
  ASSERT_TRUE(Do(*b, cli::FriendRequestFrame(alice)).ok());
  for (auto* device : {a_phone.get(), a_laptop.get()}) {
    auto e = NextFriendEvent(*device);
    ASSERT_TRUE(e.ok()) << e.status();
    EXPECT_EQ(e->kind(), client::FriendEvent::REQUESTED);
  }
  auto met = Do(*a_phone, cli::FriendRequestFrame(bob));
  ASSERT_TRUE(met.ok());
  EXPECT_TRUE(met->friend_request().became_friends());
  // bob and alice's other device hear of it; the requesting connection has its answer.
  for (auto* device : {b.get(), a_laptop.get()}) {
    auto e = NextFriendEvent(*device);
    ASSERT_TRUE(e.ok()) << e.status();
    EXPECT_EQ(e->kind(), client::FriendEvent::ACCEPTED);
  }
  EXPECT_EQ(Friends(*a_phone), std::set<std::string>{bob});
  EXPECT_EQ(Friends(*b), std::set<std::string>{alice});
}

TEST(RelationsTest, ConcurrentMutualRequestsMakeExactlyOneFriendship) {
  for (int round = 0; round < 5; ++round) {
    const std::string alice = UniqueName("alice"), bob = UniqueName("bob");
    auto a = RegisterAndLogin(alice);
    auto b = RegisterAndLogin(bob, 1);
    absl::StatusOr<client::ServerFrame> ra, rb;
    std::thread t1([&] { ra = Do(*a, cli::FriendRequestFrame(bob)); });
    std::thread t2([&] { rb = Do(*b, cli::FriendRequestFrame(alice)); });
    t1.join();
    t2.join();
    ASSERT_TRUE(ra.ok() && rb.ok());
    EXPECT_NE(ra->friend_request().became_friends(), rb->friend_request().became_friends());
    EXPECT_EQ(Friends(*a), std::set<std::string>{bob});
    auto rows = SharedCluster().Query(
        "SELECT COUNT(*) FROM friendships f JOIN users u ON u.user_id = f.user_id"
        " WHERE u.username IN (?, ?)",
        {alice, bob});
    EXPECT_EQ(rows.at(0).U64(0), 2u);  // one row per side, no duplicates
  }
}

TEST(RelationsTest, AcceptAndDeclineAreIdempotentWithdrawnOrDeclinedCannotBeAccepted) {
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob"),
                    carol = UniqueName("carol");
  auto a = RegisterAndLogin(alice);
  auto b = RegisterAndLogin(bob);
  auto c = RegisterAndLogin(carol);
  ASSERT_TRUE(Do(*a, cli::FriendRequestFrame(bob)).ok());
  ASSERT_TRUE(Do(*b, cli::FriendRespondFrame(alice, true)).ok());
  auto twice = Do(*b, cli::FriendRespondFrame(alice, true));
  ASSERT_TRUE(twice.ok()) << twice.status();
  EXPECT_TRUE(twice->friend_respond().already_done());

  ASSERT_TRUE(Do(*a, cli::FriendRequestFrame(carol)).ok());
  ASSERT_TRUE(Do(*c, cli::FriendRespondFrame(alice, false)).ok());
  auto decline_again = Do(*c, cli::FriendRespondFrame(alice, false));
  ASSERT_TRUE(decline_again.ok());
  EXPECT_TRUE(decline_again->friend_respond().already_done());
  auto accept_declined = Do(*c, cli::FriendRespondFrame(alice, true));
  EXPECT_EQ(accept_declined.status().code(), StatusCode::kFailedPrecondition);

  const std::string dave = UniqueName("dave");
  auto d = RegisterAndLogin(dave);
  ASSERT_TRUE(Do(*a, cli::FriendRequestFrame(dave)).ok());
  ASSERT_TRUE(Do(*a, cli::FriendCancelFrame(dave)).ok());
  auto accept_withdrawn = Do(*d, cli::FriendRespondFrame(alice, true));
  EXPECT_EQ(accept_withdrawn.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(accept_withdrawn.status().message(), alice + " withdrew the friend request");
  EXPECT_EQ(CodeOf(*d, cli::FriendRespondFrame(UniqueName("ghost"), true)), StatusCode::kNotFound);
  EXPECT_TRUE(Friends(*d).empty());
}

TEST(RelationsTest, RemovingAFriendRemovesItForBothAndTellsBoth) {
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob");
  auto a = RegisterAndLogin(alice);
  auto b = RegisterAndLogin(bob);
  MakeFriends(*a, alice, *b, bob);
  while (NextFriendEvent(*a, milliseconds(300)).ok()) {
  }  // drain request/accept events
  ASSERT_TRUE(Do(*b, cli::FriendRemoveFrame(alice)).ok());
  auto e = NextFriendEvent(*a);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->kind(), client::FriendEvent::REMOVED);
  EXPECT_TRUE(Friends(*a).empty());
  EXPECT_TRUE(Friends(*b).empty());
  EXPECT_EQ(CodeOf(*a, cli::FriendRemoveFrame(bob)), StatusCode::kFailedPrecondition);
}

TEST(RelationsTest, BlockRefusesMessagesAndRequestsStoresNothingAndUnblockRestores) {
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob");
  auto b = RegisterAndLogin(bob);
  { RegisterAndLogin(alice); }  // alice is offline when bob blocks her
  ASSERT_TRUE(Do(*b, cli::BlockFrame(alice, true)).ok());
  auto blocked = Do(*b, cli::BlockListFrame());
  ASSERT_TRUE(blocked.ok());
  ASSERT_EQ(blocked->block_list().usernames_size(), 1);

  auto a = Connect();
  ASSERT_TRUE(a->Login(alice, kPassword).ok());
  auto send = a->SendText(bob, "let me in");
  EXPECT_EQ(send.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(send.status().message(), bob + " has blocked you");
  EXPECT_EQ(CodeOf(*a, cli::FriendRequestFrame(bob)), StatusCode::kPermissionDenied);
  EXPECT_EQ(StoredCount(alice, bob), 0u);
  // bob, who blocked alice, cannot write to her either until he unblocks.
  EXPECT_EQ(b->SendText(alice, "hi").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_FALSE(b->NextEvent(milliseconds(300)).ok()) << "something was delivered";

  ASSERT_TRUE(Do(*b, cli::BlockFrame(alice, false)).ok());
  ASSERT_TRUE(a->SendText(bob, "thanks").ok());
  EXPECT_EQ(StoredCount(alice, bob), 1u);
}

TEST(RelationsTest, BlockKeepsAnExistingFriendshipButStopsMessages) {
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob");
  auto a = RegisterAndLogin(alice);
  auto b = RegisterAndLogin(bob);
  MakeFriends(*a, alice, *b, bob);
  ASSERT_TRUE(Do(*b, cli::BlockFrame(alice, true)).ok());
  auto list = Do(*b, cli::FriendListFrame());
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->friend_list().friends_size(), 1);
  EXPECT_TRUE(list->friend_list().friends(0).blocked());
  EXPECT_EQ(a->SendText(bob, "hello?").status().code(), StatusCode::kPermissionDenied);
  ASSERT_TRUE(Do(*b, cli::BlockFrame(alice, false)).ok());
  EXPECT_TRUE(a->SendText(bob, "hello again").ok());
}

TEST(RelationsTest, FriendsOnlyPolicyRefusesStrangersAndStoresNothing) {
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob"),
                    carol = UniqueName("carol");
  auto a = RegisterAndLogin(alice);
  auto b = RegisterAndLogin(bob);
  auto c = RegisterAndLogin(carol);
  MakeFriends(*b, bob, *c, carol);
  auto set = Do(*b, cli::PrivacyFrame(client::MESSAGE_POLICY_FRIENDS));
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->privacy_set().messages(), client::MESSAGE_POLICY_FRIENDS);
  auto refused = a->SendText(bob, "hi stranger");
  EXPECT_EQ(refused.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(refused.status().message(), bob + " accepts messages from friends only");
  EXPECT_EQ(StoredCount(alice, bob), 0u);
  EXPECT_TRUE(c->SendText(bob, "hi friend").ok());
  EXPECT_EQ(CodeOf(*b, cli::PrivacyFrame(client::MESSAGE_POLICY_UNSET)),
            StatusCode::kInvalidArgument);
  ASSERT_TRUE(Do(*b, cli::PrivacyFrame(client::MESSAGE_POLICY_EVERYONE)).ok());
  EXPECT_TRUE(a->SendText(bob, "hi now").ok());
}

TEST(RelationsTest, ServerDefaultPolicyAppliesToUsersWhoNeverChose) {
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob");
  RegisterAndLogin(bob);
  {
    LogicFlagsForThisScope logic({"--default_message_policy=friends"});
    auto a = RegisterAndLogin(alice);
    EXPECT_EQ(a->SendText(bob, "hi").status().code(), StatusCode::kPermissionDenied);
  }
  auto a2 = Connect();
  ASSERT_TRUE(a2->Login(alice, kPassword).ok());
  EXPECT_TRUE(a2->SendText(bob, "hi").ok());
}

TEST(RelationsTest, UsersSeeOnlyTheirOwnLists) {
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob"), eve = UniqueName("eve");
  auto a = RegisterAndLogin(alice);
  auto b = RegisterAndLogin(bob);
  auto e = RegisterAndLogin(eve);
  MakeFriends(*a, alice, *b, bob);
  ASSERT_TRUE(Do(*a, cli::BlockFrame(eve, true)).ok());
  EXPECT_TRUE(Friends(*e).empty());
  auto eve_blocks = Do(*e, cli::BlockListFrame());
  ASSERT_TRUE(eve_blocks.ok());
  EXPECT_EQ(eve_blocks->block_list().usernames_size(), 0);
  EXPECT_EQ(Do(*e, cli::FriendPendingFrame())->friend_pending().incoming_size(), 0);
  // Requests before login act for nobody.
  auto anonymous = Connect();
  EXPECT_EQ(CodeOf(*anonymous, cli::FriendListFrame()), StatusCode::kUnauthenticated);
}

TEST(RelationsTest, BlockRacingInFlightSendsStoresOnlyWhatWasAcknowledged) {
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob");
  auto b = RegisterAndLogin(bob);
  std::vector<std::unique_ptr<ImClient>> senders;
  RegisterAndLogin(alice);
  for (int i = 0; i < 4; ++i) {
    senders.push_back(Connect(i % 2));
    ASSERT_TRUE(senders.back()->Login(alice, kPassword, "dev" + std::to_string(i)).ok());
  }
  std::atomic<bool> blocked{false};
  std::mutex mutex;
  std::set<std::uint64_t> acked;
  int refused_after_block = 0, acked_after_block = 0;
  std::vector<std::thread> threads;
  for (auto& s : senders) {
    threads.emplace_back([&, client = s.get()] {
      // Keep sending until a few sends have started after the block (bounded).
      for (int i = 0, after_block = 0; i < 2000 && after_block < 5; ++i) {
        const bool block_done_before = blocked.load();
        if (block_done_before) ++after_block;
        auto sent = client->SendText(bob, "racing " + std::to_string(i));
        std::lock_guard lock(mutex);
        if (sent.ok()) {
          acked.insert(sent->msg_id());
          if (block_done_before) ++acked_after_block;
        } else {
          EXPECT_EQ(sent.status().code(), StatusCode::kPermissionDenied) << sent.status();
          if (block_done_before) ++refused_after_block;
        }
      }
    });
  }
  std::this_thread::sleep_for(milliseconds(100));
  ASSERT_TRUE(Do(*b, cli::BlockFrame(alice, true)).ok());
  blocked = true;
  for (auto& t : threads) t.join();

  // Every acknowledged message is stored and nothing else is.
  auto rows = SharedCluster().Query(
      "SELECT m.msg_id, m.seq FROM messages m JOIN users s ON s.user_id = m.sender_id"
      " JOIN conversation_members cm ON cm.conv_id = m.conv_id JOIN users r ON r.user_id = "
      "cm.user_id"
      " WHERE s.username = ? AND r.username = ? ORDER BY m.seq",
      {alice, bob});
  std::set<std::uint64_t> stored;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    stored.insert(rows[i].U64(0));
    EXPECT_EQ(rows[i].U64(1), i + 1) << "seq gap";
  }
  EXPECT_EQ(stored, acked);
  EXPECT_GT(acked.size(), 0u) << "the block came before any send; the race was not exercised";
  // Every stored message committed before the block: the block's transaction
  // waits for in-flight appends (which share-lock bob's row), so its time is
  // taken after theirs. A send decided before the block but stored after it
  // would carry a later time.
  auto times = SharedCluster().Query(
      "SELECT MAX(m.sent_at_ms), MAX(b.created_at_ms) FROM messages m"
      " JOIN users s ON s.user_id = m.sender_id JOIN blocks b ON b.blocked_id = s.user_id"
      " JOIN users r ON r.user_id = b.user_id WHERE s.username = ? AND r.username = ?",
      {alice, bob});
  EXPECT_LE(times.at(0).I64(0), times.at(0).I64(1));
  EXPECT_EQ(acked_after_block, 0) << "a send that started after the block was stored";
  EXPECT_GT(refused_after_block, 0);
}

}  // namespace
}  // namespace im::testing
