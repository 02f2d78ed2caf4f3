// Groups over TCP against the real daemons: the role matrix, who sees which
// seqs, mute, the size limit, fan-out across two access nodes (one push per
// message per node, every member exactly once) and a 2,000-member group.

#include <grpcpp/grpcpp.h>

#include <map>
#include <set>

#include "access.grpc.pb.h"
#include "client-cli/inbox.h"
#include "tests/integration/cluster_env.h"

namespace im::testing {
namespace {

using absl::StatusCode;
using cli::ImClient;
using std::chrono::milliseconds;
using std::chrono::seconds;

struct Member {
  std::string name;
  std::unique_ptr<ImClient> client;
};

Member NewMember(const std::string& prefix, int node = 0) {
  Member m{UniqueName(prefix), nullptr};
  m.client = RegisterAndLogin(m.name, node);
  return m;
}

std::uint64_t CreateGroup(ImClient& owner, const std::vector<std::string>& members) {
  auto created = owner.Request(Frame([&](auto& f) {
    f.mutable_group_create()->set_name("team");
    for (const auto& m : members) f.mutable_group_create()->add_members(m);
  }));
  EXPECT_TRUE(created.ok()) << created.status();
  return created.ok() ? created->group_create().group_id() : 0;
}

absl::StatusOr<client::ServerFrame> Change(
    ImClient& actor, std::uint64_t group,
    const std::function<void(client::GroupChangeRequest&)>& fill) {
  return actor.Request(Frame([&](auto& f) {
    f.mutable_group_change()->set_group_id(group);
    fill(*f.mutable_group_change());
  }));
}

template <typename T>
StatusCode Code(const absl::StatusOr<T>& r) {
  return r.status().code();
}

absl::StatusOr<client::ServerFrame> Info(ImClient& c, std::uint64_t group) {
  return c.Request(Frame([&](auto& f) { f.mutable_group_info()->set_group_id(group); }));
}

absl::StatusOr<client::ServerFrame> History(ImClient& c, std::uint64_t group) {
  return c.Request(Frame([&](auto& f) {
    f.mutable_history()->set_group_id(group);
    f.mutable_history()->set_limit(500);
  }));
}

std::vector<std::uint64_t> Seqs(const std::vector<client::ChatMessage>& messages,
                                std::uint64_t group) {
  std::vector<std::uint64_t> seqs;
  for (const auto& m : messages) {
    if (m.group_id() == group) seqs.push_back(m.seq());
  }
  return seqs;
}

// Push requests an access node has received so far.
std::uint64_t PushRequests(int node) {
  auto stub = internal::Access::NewStub(
      grpc::CreateChannel(SharedCluster().push_address(node), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + seconds(5));
  internal::AccessStatsRequest request;
  internal::AccessStatsResponse stats;
  const grpc::Status status = stub->Stats(&ctx, request, &stats);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return stats.push_requests();
}

// Reads `client`'s events through an inbox until `done` or the deadline.
void ReceiveUntil(ImClient& client, cli::Inbox& inbox, const std::function<bool()>& done,
                  milliseconds within = milliseconds(10000)) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    auto event = client.NextEvent(milliseconds(200));
    if (event.ok()) {
      absl::Status handled = inbox.Handle(*event);
      EXPECT_TRUE(handled.ok()) << handled;
    }
  }
}

TEST(GroupsTest, RoleMatrix) {
  auto owner = NewMember("owner"), admin = NewMember("admin"), m1 = NewMember("m1"),
       m2 = NewMember("m2"), outsider = NewMember("out");
  const auto g = CreateGroup(*owner.client, {admin.name, m1.name, m2.name});
  ASSERT_NE(g, 0u);

  // Only the owner changes roles.
  auto promote = [&](ImClient& actor, const std::string& who, client::GroupRole role) {
    return Change(actor, g, [&](auto& c) {
      c.mutable_set_role()->set_user(who);
      c.mutable_set_role()->set_role(role);
    });
  };
  EXPECT_EQ(Code(promote(*owner.client, admin.name, client::GROUP_ROLE_ADMIN)), StatusCode::kOk);
  EXPECT_EQ(Code(promote(*admin.client, m1.name, client::GROUP_ROLE_ADMIN)),
            StatusCode::kPermissionDenied);

  auto kick = [&](ImClient& actor, const std::string& who) {
    return Change(actor, g, [&](auto& c) { c.set_kick(who); });
  };
  auto invite = [&](ImClient& actor, std::vector<std::string> who) {
    return Change(actor, g, [&](auto& c) {
      for (const auto& w : who) c.mutable_invite()->add_usernames(w);
    });
  };
  // Members neither invite nor kick; admins kick members but not the owner or admins.
  EXPECT_EQ(Code(invite(*m1.client, {outsider.name})), StatusCode::kPermissionDenied);
  EXPECT_EQ(Code(kick(*m1.client, m2.name)), StatusCode::kPermissionDenied);
  EXPECT_EQ(Code(kick(*admin.client, owner.name)), StatusCode::kPermissionDenied);
  EXPECT_EQ(Code(promote(*owner.client, m2.name, client::GROUP_ROLE_ADMIN)), StatusCode::kOk);
  EXPECT_EQ(Code(kick(*admin.client, m2.name)), StatusCode::kPermissionDenied);
  EXPECT_EQ(Code(promote(*owner.client, m2.name, client::GROUP_ROLE_MEMBER)), StatusCode::kOk);
  EXPECT_EQ(Code(kick(*admin.client, m2.name)), StatusCode::kOk);
  EXPECT_EQ(Code(invite(*admin.client, {m2.name})), StatusCode::kOk);
  EXPECT_EQ(Code(kick(*owner.client, outsider.name)), StatusCode::kNotFound);  // not a member

  // Only the owner transfers or dissolves; the owner leaves only after a transfer.
  EXPECT_EQ(Code(Change(*admin.client, g, [&](auto& c) { c.set_transfer(m1.name); })),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(Code(Change(*admin.client, g, [](auto& c) { c.set_dissolve(true); })),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(Code(Change(*owner.client, g, [](auto& c) { c.set_leave(true); })),
            StatusCode::kFailedPrecondition);

  // A non-member can do nothing with the group.
  EXPECT_EQ(Code(outsider.client->SendGroupText(g, "let me in")), StatusCode::kPermissionDenied);
  EXPECT_EQ(Code(History(*outsider.client, g)), StatusCode::kPermissionDenied);
  EXPECT_EQ(Code(Info(*outsider.client, g)), StatusCode::kPermissionDenied);
  EXPECT_EQ(Code(outsider.client->Request(
                Frame([&](auto& f) { f.mutable_group_members()->set_group_id(g); }))),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(Code(kick(*outsider.client, m1.name)), StatusCode::kPermissionDenied);
  EXPECT_TRUE(Seqs(SyncAll(*outsider.client), g).empty());

  ASSERT_EQ(Code(Change(*owner.client, g, [&](auto& c) { c.set_transfer(admin.name); })),
            StatusCode::kOk);
  auto info = Info(*owner.client, g);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->group_info().owner(), admin.name);
  EXPECT_EQ(info->group_info().my_role(), client::GROUP_ROLE_ADMIN);  // the old owner
  EXPECT_EQ(Code(Change(*owner.client, g, [](auto& c) { c.set_leave(true); })), StatusCode::kOk);
  EXPECT_EQ(Code(Change(*admin.client, g, [](auto& c) { c.set_dissolve(true); })), StatusCode::kOk);
  EXPECT_EQ(Code(m1.client->SendGroupText(g, "anyone?")), StatusCode::kNotFound);
}

TEST(GroupsTest, MembersSeeFromTheirJoinUntilTheyLeaveAndEveryChangeIsASystemMessage) {
  auto owner = NewMember("owner"), early = NewMember("early"), late = NewMember("late");
  const auto g = CreateGroup(*owner.client, {early.name});                 // seq 1
  ASSERT_TRUE(owner.client->SendGroupText(g, "before late joined").ok());  // 2
  ASSERT_EQ(Code(Change(*owner.client, g,
                        [&](auto& c) { c.mutable_invite()->add_usernames(late.name); })),
            StatusCode::kOk);  // 3
  // The invitee's device hears of it at once.
  auto joined = NextEventMatching(*late.client, [&](const client::ServerFrame& f) {
    return f.has_message() && f.message().group_id() == g;
  });
  ASSERT_TRUE(joined.ok()) << joined.status();
  EXPECT_EQ(joined->message().kind(), "system");
  EXPECT_EQ(joined->message().seq(), 3u);

  ASSERT_TRUE(early.client->SendGroupText(g, "hi late").ok());  // 4
  ASSERT_EQ(Code(Change(*owner.client, g, [&](auto& c) { c.set_kick(early.name); })),
            StatusCode::kOk);                                            // 5
  ASSERT_TRUE(owner.client->SendGroupText(g, "after early left").ok());  // 6

  EXPECT_EQ(Seqs(SyncAll(*late.client), g), (std::vector<std::uint64_t>{3, 4, 5, 6}));
  EXPECT_EQ(Seqs(SyncAll(*early.client), g), (std::vector<std::uint64_t>{1, 2, 3, 4, 5}));
  auto history = History(*late.client, g);
  ASSERT_TRUE(history.ok()) << history.status();
  EXPECT_EQ(Seqs({history->history().messages().begin(), history->history().messages().end()}, g),
            (std::vector<std::uint64_t>{3, 4, 5, 6}));
  EXPECT_EQ(Code(early.client->SendGroupText(g, "still here?")), StatusCode::kPermissionDenied);
  EXPECT_EQ(Code(History(*early.client, g)), StatusCode::kPermissionDenied);

  // Unread counts start at the join; the conversation list names the group.
  auto list = late.client->Request(Frame([](auto& f) { f.mutable_conv_list(); }));
  ASSERT_TRUE(list.ok());
  bool listed = false;
  for (const auto& c : list->conv_list().conversations()) {
    if (c.group_id() != g) continue;
    listed = true;
    EXPECT_EQ(c.group_name(), "team");
    EXPECT_EQ(c.unread(), 4u);  // seqs 3 to 6: nothing before the join counts
  }
  EXPECT_TRUE(listed);
  // Rejoining starts again from the new join.
  ASSERT_EQ(Code(Change(*owner.client, g,
                        [&](auto& c) { c.mutable_invite()->add_usernames(early.name); })),
            StatusCode::kOk);  // 7
  EXPECT_EQ(Seqs(SyncAll(*early.client), g), (std::vector<std::uint64_t>{7}));
}

TEST(GroupsTest, MutedMembersAndMuteAll) {
  auto owner = NewMember("owner"), admin = NewMember("admin"), m = NewMember("member");
  const auto g = CreateGroup(*owner.client, {admin.name, m.name});
  ASSERT_EQ(Code(Change(*owner.client, g,
                        [&](auto& c) {
                          c.mutable_set_role()->set_user(admin.name);
                          c.mutable_set_role()->set_role(client::GROUP_ROLE_ADMIN);
                        })),
            StatusCode::kOk);
  auto mute = [&](ImClient& actor, const std::string& who, bool muted) {
    return Change(actor, g, [&](auto& c) {
      c.mutable_mute()->set_user(who);
      c.mutable_mute()->set_muted(muted);
      c.mutable_mute()->set_minutes(10);
    });
  };
  EXPECT_EQ(Code(mute(*m.client, admin.name, true)), StatusCode::kPermissionDenied);
  EXPECT_EQ(Code(mute(*admin.client, owner.name, true)), StatusCode::kPermissionDenied);
  ASSERT_EQ(Code(mute(*admin.client, m.name, true)), StatusCode::kOk);
  EXPECT_EQ(Code(m.client->SendGroupText(g, "can I talk?")), StatusCode::kPermissionDenied);
  auto members =
      owner.client->Request(Frame([&](auto& f) { f.mutable_group_members()->set_group_id(g); }));
  ASSERT_TRUE(members.ok());
  int muted = 0;
  for (const auto& member : members->group_members().members())
    muted += member.muted_until_ms() > 0;
  EXPECT_EQ(muted, 1);
  ASSERT_EQ(Code(mute(*admin.client, m.name, false)), StatusCode::kOk);
  EXPECT_TRUE(m.client->SendGroupText(g, "thanks").ok());

  ASSERT_EQ(Code(Change(*admin.client, g, [](auto& c) { c.set_mute_all(true); })), StatusCode::kOk);
  EXPECT_EQ(Code(m.client->SendGroupText(g, "hello?")), StatusCode::kPermissionDenied);
  EXPECT_TRUE(admin.client->SendGroupText(g, "admins may").ok());
  EXPECT_TRUE(owner.client->SendGroupText(g, "and the owner").ok());
  ASSERT_EQ(Code(Change(*owner.client, g, [](auto& c) { c.set_mute_all(false); })),
            StatusCode::kOk);
  EXPECT_TRUE(m.client->SendGroupText(g, "back").ok());
}

TEST(GroupsTest, BlocksBetweenMembersDoNotStopGroupMessages) {
  auto owner = NewMember("owner"), blocker = NewMember("blocker");
  const auto g = CreateGroup(*owner.client, {blocker.name});
  ASSERT_TRUE(blocker.client
                  ->Request(Frame([&](auto& f) {
                    f.mutable_block_set()->set_peer(owner.name);
                    f.mutable_block_set()->set_blocked(true);
                  }))
                  .ok());
  EXPECT_EQ(Code(owner.client->SendText(blocker.name, "1:1 is blocked")),
            StatusCode::kPermissionDenied);
  EXPECT_TRUE(owner.client->SendGroupText(g, "the group is not").ok());
  EXPECT_EQ(Seqs(SyncAll(*blocker.client), g).size(), 2u);
}

TEST(GroupsTest, SizeLimitFromConfigAndUnknownUsersRefuseWithoutPartialEffect) {
  LogicFlagsForThisScope logic({"--max_group_members=3"});
  auto owner = NewMember("owner"), a = NewMember("a"), b = NewMember("b"), c = NewMember("c");
  const auto g = CreateGroup(*owner.client, {a.name});
  auto too_many = Change(*owner.client, g, [&](auto& ch) {
    ch.mutable_invite()->add_usernames(b.name);
    ch.mutable_invite()->add_usernames(c.name);
  });
  EXPECT_EQ(Code(too_many), StatusCode::kFailedPrecondition);
  EXPECT_NE(too_many.status().message().find("limit is 3"), std::string::npos) << too_many.status();
  auto unknown = Change(*owner.client, g, [&](auto& ch) {
    ch.mutable_invite()->add_usernames(b.name);
    ch.mutable_invite()->add_usernames("nobody_by_this_name");
  });
  EXPECT_EQ(Code(unknown), StatusCode::kNotFound);
  auto info = Info(*owner.client, g);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->group_info().member_count(), 2u);
  EXPECT_EQ(info->group_info().max_seq(), 1u);  // nothing was recorded
  EXPECT_EQ(Code(Info(*b.client, g)), StatusCode::kPermissionDenied);
}

TEST(GroupsTest, BadGroupRequestsGetClearErrorsAndTheConnectionStays) {
  auto owner = NewMember("owner");
  const auto g = CreateGroup(*owner.client, {});
  auto expect_invalid = [&](const absl::StatusOr<client::ServerFrame>& r, const char* what) {
    EXPECT_EQ(Code(r), StatusCode::kInvalidArgument) << what << ": " << r.status();
  };
  expect_invalid(owner.client->Request(Frame([](auto& f) { f.mutable_group_create(); })),
                 "create without a name");
  expect_invalid(Change(*owner.client, g, [](auto&) {}), "no change");
  expect_invalid(Change(*owner.client, 0, [](auto& c) { c.set_leave(true); }), "group 0");
  expect_invalid(Change(*owner.client, g, [](auto& c) { c.set_rename(std::string(65, 'n')); }),
                 "long name");
  expect_invalid(Change(*owner.client, g, [](auto& c) { c.set_announce(std::string(1025, 'a')); }),
                 "long announcement");
  expect_invalid(Change(*owner.client, g,
                        [](auto& c) {
                          c.mutable_mute()->set_user("x");
                          c.mutable_mute()->set_muted(true);
                          c.mutable_mute()->set_minutes(4'000'000'000u);
                        }),
                 "endless minutes");
  expect_invalid(owner.client->Request(Frame([&](auto& f) {
    f.mutable_send_message()->set_group_id(g);
    f.mutable_send_message()->set_to_user("someone");
    f.mutable_send_message()->set_text("both");
  })),
                 "user and group");
  EXPECT_EQ(Code(History(*owner.client, 987654321)), StatusCode::kNotFound);
  EXPECT_EQ(Code(owner.client->SendGroupText(987654321, "nobody home")), StatusCode::kNotFound);
  EXPECT_TRUE(owner.client->SendGroupText(g, "still connected").ok());
}

TEST(GroupsTest, MembersOnTwoAccessNodesGetEveryMessageOnceWithOnePushPerNode) {
  std::vector<Member> members;
  for (int i = 0; i < 6; ++i) members.push_back(NewMember("spread", i % 2));
  std::vector<std::string> names;
  for (std::size_t i = 1; i < members.size(); ++i) names.push_back(members[i].name);
  const auto g = CreateGroup(*members[0].client, names);

  std::vector<std::vector<client::ChatMessage>> got(members.size());
  std::vector<std::unique_ptr<cli::Inbox>> inboxes;
  for (std::size_t i = 0; i < members.size(); ++i) {
    inboxes.push_back(std::make_unique<cli::Inbox>(
        members[i].client.get(), [&got, i](const client::ChatMessage& m) { got[i].push_back(m); }));
    ASSERT_TRUE(inboxes[i]->CatchUp().ok());  // the "created" message
  }
  const std::uint64_t before0 = PushRequests(0), before1 = PushRequests(1);

  constexpr int kMessages = 10;
  std::set<std::uint64_t> sent;
  for (int n = 0; n < kMessages; ++n) {
    auto ack = members[0].client->SendGroupText(g, "m" + std::to_string(n));
    ASSERT_TRUE(ack.ok()) << ack.status();
    sent.insert(ack->msg_id());
  }
  for (std::size_t i = 1; i < members.size(); ++i) {
    ReceiveUntil(*members[i].client, *inboxes[i], [&] { return got[i].size() >= 1 + kMessages; });
    std::multiset<std::uint64_t> ids;
    for (const auto& m : got[i]) ids.insert(m.msg_id());
    for (auto id : sent) EXPECT_EQ(ids.count(id), 1u) << members[i].name << " msg " << id;
    EXPECT_EQ(got[i].size(), 1u + kMessages) << members[i].name;
  }
  // Node 0 holds the sender and two members, node 1 three members: each node
  // got one push per message, whatever the number of members it holds.
  EXPECT_EQ(PushRequests(0) - before0, static_cast<std::uint64_t>(kMessages));
  EXPECT_EQ(PushRequests(1) - before1, static_cast<std::uint64_t>(kMessages));
}

// What a device does on a notice: Sync of the one conversation, served by
// storage from its cache of recent messages once one member read them.
TEST(GroupsTest, SyncOfOneConversationGivesOnlyItsMessagesToMembersWithRecallsApplied) {
  auto owner = NewMember("scowner");
  auto member = NewMember("scmember");
  auto outsider = NewMember("scoutsider");
  const auto g = CreateGroup(*owner.client, {member.name});  // seq 1
  auto a = owner.client->SendGroupText(g, "first");          // seq 2
  auto b = owner.client->SendGroupText(g, "second");         // seq 3
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(owner.client->SendText(member.name, "a 1:1 message").ok());

  auto sync_on = [&](const std::string& name, const std::string& device) {
    auto client = Connect(1);
    EXPECT_TRUE(client->Login(name, kPassword, device).ok());
    return client->Request(Frame([&](auto& f) {
      f.mutable_sync()->set_conv_id(g);
      f.mutable_sync()->set_limit(10);
    }));
  };
  auto tablet = sync_on(member.name, "tablet");  // reads MySQL, fills the cache
  ASSERT_TRUE(tablet.ok()) << tablet.status();
  ASSERT_EQ(tablet->sync().messages_size(), 3);  // the group's only, not the 1:1 message
  EXPECT_EQ(tablet->sync().messages(1).text(), "first");
  EXPECT_EQ(tablet->sync().messages(2).text(), "second");

  auto recalled =
      owner.client->Request(Frame([&](auto& f) { f.mutable_recall()->set_msg_id(b->msg_id()); }));
  ASSERT_TRUE(recalled.ok()) << recalled.status();
  auto watch = sync_on(member.name, "watch");
  ASSERT_TRUE(watch.ok()) << watch.status();
  ASSERT_EQ(watch->sync().messages_size(), 3);
  EXPECT_EQ(watch->sync().messages(1).text(), "first");
  EXPECT_TRUE(watch->sync().messages(2).recalled());
  EXPECT_EQ(watch->sync().messages(2).text(), "");

  EXPECT_EQ(Code(sync_on(outsider.name, "phone")), StatusCode::kNotFound);
}

TEST(GroupsTest, TwoThousandMembersOneSendReachesEveryOnlineMemberAndCountsUnreadForTheRest) {
  constexpr int kOnline = 20, kOffline = 1979;  // + the owner = 2,000
  auto owner = NewMember("bigowner");
  std::vector<Member> online;
  std::vector<std::string> online_names;
  for (int i = 0; i < kOnline; ++i) {
    online.push_back(NewMember("online", i % 2));
    online_names.push_back(online.back().name);
  }
  // Offline members are made directly in the database (registering 2,000
  // users over TCP would spend the test on password hashing), with the
  // owner's password hash so any of them can log in later.
  const std::string prefix = UniqueName("off") + "_";
  SharedCluster().Query(
      "INSERT INTO users (username, password_hash, created_at_ms)"
      " SELECT CONCAT(?, seq), (SELECT password_hash FROM users WHERE username = ?), 0"
      " FROM seq_1_to_1979",
      {std::string_view(prefix), std::string_view(owner.name)});
  const auto g = CreateGroup(*owner.client, online_names);  // seq 1
  auto invited = Change(*owner.client, g, [&](auto& c) {
    for (int i = 1; i <= kOffline; ++i)
      c.mutable_invite()->add_usernames(prefix + std::to_string(i));
  });  // seq 2
  ASSERT_TRUE(invited.ok()) << invited.status();
  auto info = Info(*owner.client, g);
  ASSERT_TRUE(info.ok());
  ASSERT_EQ(info->group_info().member_count(), 2000u);

  std::vector<std::vector<client::ChatMessage>> got(kOnline);
  std::vector<std::unique_ptr<cli::Inbox>> inboxes;
  for (int i = 0; i < kOnline; ++i) {
    inboxes.push_back(std::make_unique<cli::Inbox>(
        online[i].client.get(), [&got, i](const client::ChatMessage& m) { got[i].push_back(m); }));
    ReceiveUntil(*online[i].client, *inboxes[i], [&] { return got[i].size() >= 2; });
    ASSERT_EQ(got[i].size(), 2u) << "created + invited";
  }
  const std::uint64_t before0 = PushRequests(0), before1 = PushRequests(1);
  auto ack = owner.client->SendGroupText(g, "hello, two thousand");
  ASSERT_TRUE(ack.ok()) << ack.status();

  // Above the notice threshold each online device is told "up to seq 3" and
  // pulls the message with Sync.
  for (int i = 0; i < kOnline; ++i) {
    // (An earlier notice, for the invite, may still be queued: skip it.)
    auto notice = NextEventMatching(*online[i].client, [&](const client::ServerFrame& f) {
      return f.has_notice() && f.notice().conv_id() == g && f.notice().max_seq() == ack->seq();
    });
    ASSERT_TRUE(notice.ok()) << online[i].name << ": " << notice.status();
    ASSERT_TRUE(inboxes[i]->Handle(*notice).ok());
    ASSERT_EQ(got[i].size(), 3u);
    EXPECT_EQ(got[i].back().msg_id(), ack->msg_id());
    EXPECT_EQ(got[i].back().text(), "hello, two thousand");
  }
  EXPECT_EQ(PushRequests(0) - before0, 1u);
  EXPECT_EQ(PushRequests(1) - before1, 1u);

  // Offline members: unread counts from their join, and one stored copy.
  for (const std::string& name : {prefix + "1", prefix + "1979"}) {
    auto client = Connect(1);
    ASSERT_TRUE(client->Login(name, kPassword).ok());
    auto list = client->Request(Frame([](auto& f) { f.mutable_conv_list(); }));
    ASSERT_TRUE(list.ok());
    ASSERT_EQ(list->conv_list().conversations_size(), 1);
    EXPECT_EQ(list->conv_list().conversations(0).unread(), 2u);  // the invite and the message
  }
  auto stored = SharedCluster().Query("SELECT COUNT(*) FROM messages WHERE conv_id = ?", {g});
  EXPECT_EQ(stored.at(0).U64(0), 3u);
}

}  // namespace
}  // namespace im::testing
