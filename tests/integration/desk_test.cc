// The customer-service desk on real daemons over TCP: logic restarted with a
// desk file naming two desks and their agents. Customers message the desk
// account; the online agent with the fewest open conversations gets each new
// one and keeps it; with nobody online they queue, and the first agent who
// logs in gets them with nothing lost and in order; agents reply as the desk
// (customers see the desk and the agent's name), transfer and close; only
// the holder may act; and im-cli's desk commands do the same.

#include <chrono>
#include <fstream>
#include <thread>

#include "tests/integration/cli_runner.h"
#include "tests/integration/cluster_env.h"
#include "tests/support/test_env.h"

namespace im::testing {
namespace {

using std::chrono::milliseconds;

// The desks of the suite: "support" with agents ann and ben (both logged in
// by the tests that need them), "helpdesk" with agent cara (offline at first).
struct Desks {
  std::string support = UniqueName("support");
  std::string ann = UniqueName("ann");
  std::string ben = UniqueName("ben");
  std::string helpdesk = UniqueName("helpdesk");
  std::string cara = UniqueName("cara");
};
Desks* desks = nullptr;

void RegisterOnly(const std::string& name) {
  auto client = Connect();
  ASSERT_NE(client, nullptr);
  auto registered = client->Register(name, kPassword);
  ASSERT_TRUE(registered.ok()) << name << ": " << registered.status();
}

client::ClientFrame DeskFrame(const std::string& desk,
                              const std::function<void(client::DeskRequest&)>& fill) {
  client::ClientFrame frame;
  frame.mutable_desk()->set_desk(desk);
  fill(*frame.mutable_desk());
  return frame;
}

absl::StatusOr<client::ServerFrame> Reply(cli::ImClient& agent, const std::string& desk,
                                          const std::string& customer, const std::string& text) {
  return agent.Request(DeskFrame(desk, [&](client::DeskRequest& r) {
    r.mutable_reply()->set_customer(customer);
    r.mutable_reply()->set_text(text);
  }));
}

absl::StatusOr<client::ServerFrame> NextDeskEvent(cli::ImClient& agent, const std::string& type) {
  return NextEventMatching(agent, [&](const client::ServerFrame& f) {
    return f.has_desk_event() && f.desk_event().type() == type;
  });
}

class DeskTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    desks = new Desks;
    for (const std::string* name :
         {&desks->support, &desks->ann, &desks->ben, &desks->helpdesk, &desks->cara}) {
      RegisterOnly(*name);
    }
    const std::string path = SharedCluster().dir() + "/desks.list";
    std::ofstream(path) << "# desk: agents\n"
                        << desks->support << ": " << desks->ann << " " << desks->ben << "\n"
                        << desks->helpdesk << ": " << desks->cara << "\n";
    SharedCluster().StopLogic();
    SharedCluster().StartLogic({"--desk_file=" + path});
  }
  static void TearDownTestSuite() {
    SharedCluster().StopLogic();
    SharedCluster().StartLogic();
    delete desks;
    desks = nullptr;
  }

  static std::unique_ptr<cli::ImClient> LogIn(const std::string& name) {
    auto client = Connect();
    if (client == nullptr) return nullptr;
    auto login = client->Login(name, kPassword, "desk-test");
    EXPECT_TRUE(login.ok()) << name << ": " << login.status();
    client->StartHeartbeat();
    return client;
  }
};

TEST_F(DeskTest, CustomersGoToTheLeastBusyOnlineAgentAndSeeRepliesFromTheDesk) {
  auto ann = LogIn(desks->ann);
  auto ben = LogIn(desks->ben);
  ASSERT_NE(ann, nullptr);
  ASSERT_NE(ben, nullptr);
  const std::string carol = UniqueName("carol"), dave = UniqueName("dave");
  auto c = RegisterAndLogin(carol);
  auto d = RegisterAndLogin(dave);
  ASSERT_NE(c, nullptr);
  ASSERT_NE(d, nullptr);

  ASSERT_TRUE(c->SendText(desks->support, "my order is late").ok());
  // Who gets carol depends on who has fewer open conversations; find out.
  auto list = [&](cli::ImClient& agent) {
    auto r = agent.Request(DeskFrame(desks->support, [](auto& r) { r.mutable_list(); }));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->desk() : client::DeskResponse();
  };
  const int ann_before = list(*ann).mine_size();
  cli::ImClient* first = nullptr;
  for (int i = 0; i < 50 && first == nullptr; ++i) {
    for (cli::ImClient* agent : {ann.get(), ben.get()}) {
      const client::DeskResponse listed = list(*agent);
      for (const auto& conv : listed.mine()) {
        if (conv.customer() == carol) first = agent;
      }
    }
    if (first == nullptr) std::this_thread::sleep_for(milliseconds(50));
  }
  ASSERT_NE(first, nullptr) << "carol's conversation went to nobody";
  cli::ImClient* other = first == ann.get() ? ben.get() : ann.get();
  const std::string first_name = first == ann.get() ? desks->ann : desks->ben;
  auto told = NextDeskEvent(*first, "message");
  ASSERT_TRUE(told.ok()) << told.status();
  EXPECT_EQ(told->desk_event().customer(), carol);
  EXPECT_EQ(told->desk_event().message().text(), "my order is late");

  // Balance the two, then dave goes to whoever has fewer.
  const int first_open = list(*first).mine_size(), other_open = list(*other).mine_size();
  ASSERT_TRUE(d->SendText(desks->support, "hello?").ok());
  cli::ImClient* expected_for_dave = other_open < first_open ? other : first;
  if (other_open == first_open) expected_for_dave = nullptr;  // a tie: either
  bool dave_placed = false;
  for (int i = 0; i < 50 && !dave_placed; ++i) {
    for (cli::ImClient* agent : {ann.get(), ben.get()}) {
      const client::DeskResponse listed = list(*agent);
      for (const auto& conv : listed.mine()) {
        if (conv.customer() == dave) {
          dave_placed = true;
          if (expected_for_dave != nullptr) EXPECT_EQ(agent, expected_for_dave);
        }
      }
    }
    if (!dave_placed) std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_TRUE(dave_placed);
  (void)ann_before;

  // carol writes again: still the same agent.
  ASSERT_TRUE(c->SendText(desks->support, "order 1234").ok());
  auto again = NextEventMatching(*first, [&](const client::ServerFrame& f) {
    return f.has_desk_event() && f.desk_event().message().text() == "order 1234";
  });
  ASSERT_TRUE(again.ok()) << again.status();

  // The holder answers as the desk; carol sees the desk, and who wrote it.
  auto answered = Reply(*first, desks->support, carol, "it ships tomorrow");
  ASSERT_TRUE(answered.ok()) << answered.status();
  EXPECT_GT(answered->desk().sent().seq(), 0u);
  auto got = NextEventMatching(*c, [](const auto& f) {
    return f.has_message() && f.message().text() == "it ships tomorrow";
  });
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->message().sender(), desks->support);
  EXPECT_EQ(got->message().agent(), first_name);
  std::vector<std::string> stored;
  for (const auto& m : SyncAll(*c)) {
    stored.push_back(m.sender() + "/" + m.agent() + ": " + m.text());
  }
  EXPECT_EQ(stored,
            (std::vector<std::string>{desks->support + "/" + first_name + ": it ships tomorrow"}))
      << "what carol syncs (her own messages are not news to her)";

  // Only the holder; only agents.
  auto not_yours = Reply(*other, desks->support, carol, "me too");
  EXPECT_EQ(not_yours.status().code(), absl::StatusCode::kPermissionDenied) << not_yours.status();
  EXPECT_EQ(not_yours.status().message(), carol + "'s conversation is with another agent");
  auto not_agent = d->Request(DeskFrame(desks->support, [](auto& r) { r.mutable_list(); }));
  EXPECT_EQ(not_agent.status().code(), absl::StatusCode::kPermissionDenied);
  auto no_desk = first->Request(DeskFrame("nodesk", [](auto& r) { r.mutable_list(); }));
  EXPECT_EQ(no_desk.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(DeskTest, WithNobodyOnlineMessagesQueueAndTheFirstAgentOnlineGetsThemAllInOrder) {
  const std::string eve = UniqueName("eve");
  auto e = RegisterAndLogin(eve);
  ASSERT_NE(e, nullptr);
  for (const char* text : {"one", "two", "three"}) {
    ASSERT_TRUE(e->SendText(desks->helpdesk, text).ok());
  }

  auto cara = Connect();
  ASSERT_NE(cara, nullptr);
  ASSERT_TRUE(cara->Login(desks->cara, kPassword, "desk-test").ok());
  auto assigned = NextDeskEvent(*cara, "assigned");
  ASSERT_TRUE(assigned.ok()) << assigned.status();
  EXPECT_EQ(assigned->desk_event().customer(), eve);

  auto history = cara->Request(DeskFrame(desks->helpdesk, [&](client::DeskRequest& r) {
    r.mutable_history()->set_customer(eve);
  }));
  ASSERT_TRUE(history.ok()) << history.status();
  std::vector<std::string> texts;
  for (const auto& m : history->desk().messages()) texts.push_back(m.text());
  EXPECT_EQ(texts, (std::vector<std::string>{"one", "two", "three"}));

  ASSERT_TRUE(Reply(*cara, desks->helpdesk, eve, "hi eve, reading now").ok());
  ASSERT_TRUE(e->SendText(desks->helpdesk, "four").ok());
  auto live = NextEventMatching(*cara, [](const auto& f) {
    return f.has_desk_event() && f.desk_event().message().text() == "four";
  });
  EXPECT_TRUE(live.ok()) << live.status();
}

TEST_F(DeskTest, TheHolderTransfersAndClosesAndTheNextMessageOpensANewConversation) {
  auto ann = LogIn(desks->ann);
  auto ben = LogIn(desks->ben);
  ASSERT_NE(ann, nullptr);
  ASSERT_NE(ben, nullptr);
  const std::string fay = UniqueName("fay");
  auto f = RegisterAndLogin(fay);
  ASSERT_NE(f, nullptr);
  ASSERT_TRUE(f->SendText(desks->support, "refund please").ok());
  std::this_thread::sleep_for(milliseconds(200));  // routed after the ack

  // Whoever holds fay gives her to the other.
  auto holds_fay = [&](cli::ImClient& agent) {
    auto r = agent.Request(DeskFrame(desks->support, [](auto& r) { r.mutable_list(); }));
    if (!r.ok()) return false;
    for (const auto& conv : r->desk().mine()) {
      if (conv.customer() == fay) return true;
    }
    return false;
  };
  const bool ann_holds = holds_fay(*ann);
  ASSERT_TRUE(ann_holds || holds_fay(*ben));
  cli::ImClient& from = ann_holds ? *ann : *ben;
  cli::ImClient& to = ann_holds ? *ben : *ann;
  const std::string from_name = ann_holds ? desks->ann : desks->ben;
  const std::string to_name = ann_holds ? desks->ben : desks->ann;

  auto wrong = to.Request(DeskFrame(desks->support, [&](client::DeskRequest& r) {
    r.mutable_transfer()->set_customer(fay);
    r.mutable_transfer()->set_to_agent(from_name);
  }));
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kPermissionDenied) << "not the holder";
  auto moved = from.Request(DeskFrame(desks->support, [&](client::DeskRequest& r) {
    r.mutable_transfer()->set_customer(fay);
    r.mutable_transfer()->set_to_agent(to_name);
  }));
  ASSERT_TRUE(moved.ok()) << moved.status();
  auto told = NextEventMatching(to, [&](const client::ServerFrame& e) {
    return e.has_desk_event() && e.desk_event().type() == "assigned" &&
           e.desk_event().customer() == fay;
  });
  ASSERT_TRUE(told.ok()) << told.status();
  EXPECT_EQ(told->desk_event().agent(), from_name);
  EXPECT_EQ(Reply(from, desks->support, fay, "still me?").status().code(),
            absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(Reply(to, desks->support, fay, "done, refunded").ok());

  auto closed = to.Request(DeskFrame(desks->support, [&](client::DeskRequest& r) {
    r.mutable_close()->set_customer(fay);
  }));
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_FALSE(holds_fay(to));
  EXPECT_EQ(Reply(to, desks->support, fay, "after close").status().code(),
            absl::StatusCode::kNotFound);

  ASSERT_TRUE(f->SendText(desks->support, "one more thing").ok());
  bool reopened = false;
  for (int i = 0; i < 50 && !reopened; ++i) {
    reopened = holds_fay(*ann) || holds_fay(*ben);
    if (!reopened) std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_TRUE(reopened) << "the next message opens a new conversation";
}

TEST_F(DeskTest, AnAgentWorksTheDeskWithImCli) {
  const std::string gus = UniqueName("gus");
  auto g = RegisterAndLogin(gus);
  ASSERT_NE(g, nullptr);
  ASSERT_TRUE(g->SendText(desks->helpdesk, "is anyone there?").ok());
  const std::string as_cara = "IM_USER=" + desks->cara + " IM_PASSWORD=" + kPassword;

  // cara logs in (im-cli does) and gets gus from the queue, or already had him.
  CliResult listed;
  for (int i = 0; i < 50; ++i) {
    listed = RunCli(Args(Server(), {"desk", "list", desks->helpdesk}), as_cara);
    if (listed.out.find("yours:  " + gus) != std::string::npos) break;
    std::this_thread::sleep_for(milliseconds(100));
  }
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("yours:  " + gus), std::string::npos) << listed.out;

  auto history =
      RunCli(Args(Server(), {"desk", "history", desks->helpdesk, gus}), as_cara);
  ASSERT_EQ(history.exit_code, 0) << history.err;
  EXPECT_NE(history.out.find(gus + ": is anyone there?"), std::string::npos) << history.out;

  auto replied = RunCli(Args(Server(), {"desk", "reply", desks->helpdesk, gus, "yes,", "hello"}),
                        as_cara);
  ASSERT_EQ(replied.exit_code, 0) << replied.err;
  EXPECT_NE(replied.out.find("sent to " + gus + " as " + desks->helpdesk), std::string::npos)
      << replied.out;
  auto got = NextEventMatching(*g, [](const auto& f) {
    return f.has_message() && f.message().text() == "yes, hello";
  });
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->message().agent(), desks->cara);

  // gus reads it in im-cli as the desk's, with cara's name.
  auto seen = RunCli(Args(Server(), {"history", desks->helpdesk}),
                     "IM_USER=" + gus + " IM_PASSWORD=" + kPassword);
  ASSERT_EQ(seen.exit_code, 0) << seen.err;
  EXPECT_NE(seen.out.find(desks->helpdesk + " (" + desks->cara + "): yes, hello"),
            std::string::npos)
      << seen.out;

  auto closed = RunCli(Args(Server(), {"desk", "close", desks->helpdesk, gus}), as_cara);
  ASSERT_EQ(closed.exit_code, 0) << closed.err;
  EXPECT_NE(closed.out.find("closed the conversation with " + gus), std::string::npos);
  auto usage = RunCli(Args(Server(), {"desk", "frobnicate", desks->helpdesk}), as_cara);
  EXPECT_NE(usage.exit_code, 0);
  EXPECT_NE(usage.err.find("usage: im-cli desk"), std::string::npos) << usage.err;
}

}  // namespace
}  // namespace im::testing
