// The operator's webhooks on real daemons over TCP, against a HookServer the
// test runs: before_send refuses, rewrites and allows 1:1 and group sends,
// and fails open or closed as configured; after_send gets every stored
// message with its idempotency key, through a hook outage and a kill -9 of
// im-logic.

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "common/proto_json.h"
#include "tests/integration/cluster_env.h"
#include "tests/support/hook_server.h"
#include "tests/support/test_env.h"
#include "webhook.pb.h"

namespace im::testing {
namespace {

using std::chrono::milliseconds;

// Answers /before by the text: "buy now" refused, "http://" rewritten, the
// rest allowed; /after with `after_status`, keeping what it took (2xx).
struct Hooks {
  std::atomic<unsigned> after_status{200};
  mutable std::mutex mutex;
  std::map<std::uint64_t, webhook::Event> delivered;  // by event id (retries collapse)
  std::atomic<int> after_refused{0};                  // /after answered other than 200
  HookServer server{[this](const HookServer::Request& r) {
    webhook::Event event;
    if (!common::ProtoFromJson(r.body, &event).ok()) return HookServer::Reply{400, "bad"};
    if (r.target == "/after") {
      const unsigned status = after_status.load();
      EXPECT_EQ(r.headers.at("idempotency-key"), std::to_string(event.event_id()));
      if (status == 200) {
        std::lock_guard lock(mutex);
        delivered[event.event_id()] = event;
      } else {
        ++after_refused;
      }
      return HookServer::Reply{status, "{}"};
    }
    const std::string& text = event.message().text();
    if (text.find("buy now") != std::string::npos) {
      return HookServer::Reply{200, R"({"action":"refuse","reason":"no selling here"})"};
    }
    if (text.find("http://") != std::string::npos) {
      return HookServer::Reply{200, R"({"action":"rewrite","text":"[a link was removed]"})"};
    }
    return HookServer::Reply{200, R"({"action":"allow"})"};
  }};

  std::map<std::uint64_t, webhook::Event> AfterSendEvents() const {
    std::lock_guard lock(mutex);
    return delivered;
  }
  // Waits until after_send has delivered (answered 2xx) events for all of
  // `msg_ids`; the msg_ids it saw.
  std::set<std::uint64_t> WaitForMessages(const std::set<std::uint64_t>& msg_ids,
                                          milliseconds timeout) const {
    std::set<std::uint64_t> seen;
    const auto until = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      seen.clear();
      for (const auto& [id, event] : AfterSendEvents()) seen.insert(event.message().msg_id());
      bool all = true;
      for (auto id : msg_ids) all = all && seen.count(id) > 0;
      if (all || std::chrono::steady_clock::now() > until) return seen;
      std::this_thread::sleep_for(milliseconds(50));
    }
  }
};

Hooks* hooks = nullptr;

std::vector<std::string> HookFlags(const std::string& on_failure) {
  return {"--webhook.before_send_url=" + hooks->server.url("/before"),
          "--webhook.before_send_timeout_ms=500",
          "--webhook.before_send_on_failure=" + on_failure,
          "--webhook.after_send_url=" + hooks->server.url("/after"),
          "--webhook.after_send_timeout_ms=1000"};
}

class WebhooksTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    hooks = new Hooks;
    SharedCluster().StopLogic();
    SharedCluster().StartLogic(HookFlags("allow"));
  }
  static void TearDownTestSuite() {
    SharedCluster().StopLogic();
    SharedCluster().StartLogic();
    delete hooks;
    hooks = nullptr;
  }
  void SetUp() override { hooks->after_status = 200; }
};

TEST_F(WebhooksTest, BeforeSendRefusesRewritesAndAllowsOneToOneAndGroupSends) {
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob");
  auto a = RegisterAndLogin(alice);
  auto b = RegisterAndLogin(bob);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);

  auto refused = a->SendText(bob, "buy now, cheap");
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied) << refused.status();
  EXPECT_EQ(refused.status().message(),
            "the server refused this message: no selling here; nothing was sent");

  auto rewritten = a->SendText(bob, "look at http://bad.example");
  ASSERT_TRUE(rewritten.ok()) << rewritten.status();
  EXPECT_TRUE(rewritten->rewritten());
  EXPECT_EQ(rewritten->seq(), 1u) << "the refused send took no seq";
  auto pushed = NextEventMatching(*b, [](const auto& f) { return f.has_message(); });
  ASSERT_TRUE(pushed.ok()) << pushed.status();
  EXPECT_EQ(pushed->message().text(), "[a link was removed]");

  auto allowed = a->SendText(bob, "see you at noon");
  ASSERT_TRUE(allowed.ok()) << allowed.status();
  EXPECT_FALSE(allowed->rewritten());
  std::vector<std::string> stored;
  for (const auto& m : SyncAll(*b)) stored.push_back(m.text());
  EXPECT_EQ(stored, (std::vector<std::string>{"[a link was removed]", "see you at noon"}));

  client::ClientFrame create;
  create.mutable_group_create()->set_name("hooked");
  create.mutable_group_create()->add_members(bob);
  auto group = a->Request(std::move(create));
  ASSERT_TRUE(group.ok()) << group.status();
  const std::uint64_t group_id = group->group_create().group_id();
  EXPECT_EQ(a->SendGroupText(group_id, "buy now").status().code(),
            absl::StatusCode::kPermissionDenied);
  auto to_group = a->SendGroupText(group_id, "http://x");
  ASSERT_TRUE(to_group.ok()) << to_group.status();
  EXPECT_TRUE(to_group->rewritten());

  // The hook saw who sent what to whom.
  bool saw_group = false;
  for (const auto& r : hooks->server.requests()) {
    webhook::Event event;
    if (r.target != "/before" || !common::ProtoFromJson(r.body, &event).ok()) continue;
    if (event.message().group_id() == group_id) {
      saw_group = true;
      EXPECT_EQ(event.message().sender(), alice);
      EXPECT_EQ(event.type(), "message.before_send");
    }
  }
  EXPECT_TRUE(saw_group);
}

TEST_F(WebhooksTest, AfterSendGetsEveryStoredMessageOnceAsStored) {
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob");
  auto a = RegisterAndLogin(alice);
  auto b = RegisterAndLogin(bob);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  std::map<std::uint64_t, client::SendMessageResponse> acked;
  for (int i = 0; i < 5; ++i) {
    auto sent = a->SendText(bob, "after " + std::to_string(i), "after-" + std::to_string(i));
    ASSERT_TRUE(sent.ok()) << sent.status();
    acked[sent->msg_id()] = *sent;
  }
  auto resent = a->SendText(bob, "after 0", "after-0");  // a resend records nothing new
  ASSERT_TRUE(resent.ok());
  std::set<std::uint64_t> ids;
  for (const auto& [id, _] : acked) ids.insert(id);
  const auto seen = hooks->WaitForMessages(ids, milliseconds(10000));
  for (auto id : ids) EXPECT_EQ(seen.count(id), 1u) << "msg " << id;

  int events_for_these = 0;
  for (const auto& [event_id, event] : hooks->AfterSendEvents()) {
    auto it = acked.find(event.message().msg_id());
    if (it == acked.end()) continue;
    ++events_for_these;
    EXPECT_EQ(event.type(), "message.sent");
    EXPECT_EQ(event.message().sender(), alice);
    EXPECT_EQ(event.message().recipient(), bob);
    EXPECT_EQ(event.message().seq(), it->second.seq());
    EXPECT_EQ(event.message().conv_id(), it->second.conv_id());
    EXPECT_EQ(event.message().sent_at_ms(), it->second.sent_at_ms());
    EXPECT_EQ(event.message().text(), "after " + std::to_string(it->second.seq() - 1));
  }
  EXPECT_EQ(events_for_these, 5) << "one event per stored message, none for the resend";
}

TEST_F(WebhooksTest, RelationAndGroupChangesReachAfterSendToo) {
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob");
  auto a = RegisterAndLogin(alice);
  auto b = RegisterAndLogin(bob);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(a->Request(Frame([&](auto& f) {
                 f.mutable_friend_request()->set_peer(bob);
                 f.mutable_friend_request()->set_note("it's alice");
               })).ok());
  ASSERT_TRUE(b->Request(Frame([&](auto& f) {
                 f.mutable_friend_respond()->set_peer(alice);
                 f.mutable_friend_respond()->set_accept(true);
               })).ok());
  auto group = a->Request(Frame([&](auto& f) {
    f.mutable_group_create()->set_name("webhooked");
    f.mutable_group_create()->add_members(bob);
  }));
  ASSERT_TRUE(group.ok()) << group.status();
  const std::uint64_t group_id = group->group_create().group_id();

  // Waits for the two relation changes and the group's creation.
  std::vector<std::string> relation_changes;
  bool created = false;
  for (int i = 0; i < 200 && !(relation_changes.size() == 2 && created); ++i) {
    std::this_thread::sleep_for(milliseconds(50));
    relation_changes.clear();
    for (const auto& [id, event] : hooks->AfterSendEvents()) {
      if (event.type() == "relation.changed" &&
          (event.relation().user() == alice || event.relation().user() == bob)) {
        relation_changes.push_back(event.relation().change() + " " + event.relation().user() +
                                   " " + event.relation().peer() + " " +
                                   event.relation().note());
      }
      if (event.type() == "group.changed" && event.message().group_id() == group_id) {
        created = event.message().group_event().type() == client::GroupEvent::CREATED &&
                  event.message().sender() == alice;
      }
    }
  }
  EXPECT_EQ(relation_changes, (std::vector<std::string>{"requested " + alice + " " + bob +
                                                            " it's alice",
                                                        "accepted " + bob + " " + alice + " "}));
  EXPECT_TRUE(created);
}

TEST_F(WebhooksTest, AfterSendEventsSurviveAHookOutageAndAKillOfLogic) {
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob");
  auto a = RegisterAndLogin(alice);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(RegisterAndLogin(bob), nullptr);
  hooks->after_status = 503;
  const int refused_before = hooks->after_refused;
  std::set<std::uint64_t> ids;
  for (int i = 0; i < 3; ++i) {
    auto sent = a->SendText(bob, "through the outage " + std::to_string(i));
    ASSERT_TRUE(sent.ok()) << sent.status();
    ids.insert(sent->msg_id());
  }
  // Each was tried and refused once (then put back for a retry in 1 s)...
  for (int i = 0; i < 250 && hooks->after_refused < refused_before + 3; ++i) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  ASSERT_GE(hooks->after_refused, refused_before + 3);
  std::this_thread::sleep_for(milliseconds(200));  // the failures recorded in storage
  for (auto id : hooks->WaitForMessages(ids, milliseconds(0))) {
    EXPECT_EQ(ids.count(id), 0u) << "msg " << id << " was taken before the hook came back";
  }
  // ...and logic dies with them undelivered.
  SharedCluster().KillLogic();
  hooks->after_status = 200;
  SharedCluster().StartLogic(HookFlags("allow"));
  const auto seen = hooks->WaitForMessages(ids, milliseconds(15000));
  for (auto id : ids) EXPECT_EQ(seen.count(id), 1u) << "msg " << id << " delivered after the kill";
}

TEST_F(WebhooksTest, ABeforeSendHookThatIsDownFailsOpenOrClosedAsConfigured) {
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob");
  auto a = RegisterAndLogin(alice);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(RegisterAndLogin(bob), nullptr);
  hooks->server.Stop();
  auto open = a->SendText(bob, "fail open");
  EXPECT_TRUE(open.ok()) << open.status();

  SharedCluster().StopLogic();
  SharedCluster().StartLogic(HookFlags("refuse"));
  auto reconnected = RegisterAndLogin(UniqueName("carol"));
  ASSERT_NE(reconnected, nullptr);
  auto closed = reconnected->SendText(bob, "fail closed");
  EXPECT_EQ(closed.status().code(), absl::StatusCode::kUnavailable) << closed.status();
  EXPECT_EQ(closed.status().message(),
            "the server could not check this message; nothing was sent, try again later");
  hooks->server.Start();
  auto back = reconnected->SendText(bob, "the hook is back");
  EXPECT_TRUE(back.ok()) << back.status();

  SharedCluster().StopLogic();
  SharedCluster().StartLogic(HookFlags("allow"));
}

}  // namespace
}  // namespace im::testing
