// im-cli's one-shot commands, run as a user would run them, against the
// real cluster: output, exit codes and error messages.

#include <fstream>
#include <sstream>
#include <thread>

#include "tests/integration/cli_runner.h"
#include "tests/integration/cluster_env.h"
#include "tests/support/test_env.h"

namespace im::testing {
namespace {

// Starts `im-cli [flags] listen [listen_args]` as `user` in the background,
// output to `log`; whether it said it was listening within 10 s.
bool StartListen(ChildProcess& listener, const std::string& user,
                 const std::vector<std::string>& flags, const std::vector<std::string>& listen_args,
                 const std::string& log) {
  auto argv =
      Args(Args(Args({CliPath()}, Server()), {"--user", user, "--password", kPassword}), flags);
  argv.push_back("listen");
  listener.Start(Args(argv, listen_args), log);
  return WaitForText(log, "listening as " + user);
}

TEST(CliTest, RegisterSendAndListenAsAUserWould) {
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob");
  auto reg = RunCli(Args(Server(), {"register", alice, "--password", kPassword}));
  EXPECT_EQ(reg.exit_code, 0) << reg.err;
  EXPECT_NE(reg.out.find("registered " + alice), std::string::npos) << reg.out;
  // Password piped on stdin, no prompt needed.
  auto reg_bob = RunCli(Args(Server(), {"register", bob}), "", std::string(kPassword) + "\n");
  ASSERT_EQ(reg_bob.exit_code, 0) << reg_bob.err;

  ChildProcess listener;
  const std::string listen_log = SharedCluster().dir() + "/listen.out";
  // Wait until bob is online: the listener says so on stderr once logged in.
  ASSERT_TRUE(
      StartListen(listener, bob, {"--json"}, {"--count", "1", "--timeout", "20"}, listen_log))
      << ReadFile(listen_log);
  // A one-shot command of the same user beside it has a device of its own:
  // it does not end the listen.
  auto beside =
      RunCli(Args(Server(), {"conv", "list"}), "IM_USER=" + bob + " IM_PASSWORD=" + kPassword);
  EXPECT_EQ(beside.exit_code, 0) << beside.err;

  auto sent = RunCli(Args(Server(), {"send", bob, "hello", "from", "the", "cli"}),
                     "IM_USER=" + alice + " IM_PASSWORD=" + kPassword);
  EXPECT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_NE(sent.out.find("sent to " + bob + ": msg_id="), std::string::npos) << sent.out;
  EXPECT_NE(sent.out.find("seq=1"), std::string::npos) << sent.out;

  EXPECT_EQ(listener.WaitExit(std::chrono::seconds(15)), 0);
  const std::string got = ReadFile(listen_log);
  EXPECT_NE(got.find("\"from\":\"" + alice + "\""), std::string::npos) << got;
  EXPECT_NE(got.find("\"text\":\"hello from the cli\""), std::string::npos) << got;
  EXPECT_NE(got.find("\"seq\":1"), std::string::npos) << got;
}

TEST(CliTest, ListenCountsWhatArrivesAfterItStartedUnlessToldToIncludeMissed) {
  const std::string carol = UniqueName("carol"), dan = UniqueName("dan");
  for (const auto& name : {carol, dan}) {
    ASSERT_EQ(RunCli(Args(Server(), {"register", name, "--password", kPassword})).exit_code, 0);
  }
  const std::string as_carol = "IM_USER=" + carol + " IM_PASSWORD=" + kPassword;
  for (const char* text : {"missed one", "missed two"}) {
    ASSERT_EQ(RunCli(Args(Server(), {"send", dan, text}), as_carol).exit_code, 0);
  }
  // Missed messages are printed first but do not count toward --count 1.
  ChildProcess listener;
  const std::string log = SharedCluster().dir() + "/listen-count.out";
  ASSERT_TRUE(StartListen(listener, dan, {}, {"--count", "1", "--timeout", "20"}, log))
      << ReadFile(log);
  ASSERT_NE(ReadFile(log).find("missed two"), std::string::npos) << ReadFile(log);
  EXPECT_EQ(listener.WaitExit(std::chrono::milliseconds(1000)), -1) << "it stopped at the missed";
  ASSERT_EQ(RunCli(Args(Server(), {"send", dan, "after it started"}), as_carol).exit_code, 0);
  EXPECT_EQ(listener.WaitExit(std::chrono::seconds(15)), 0);
  EXPECT_NE(ReadFile(log).find("after it started"), std::string::npos) << ReadFile(log);
  // With --include-missed (another device, which missed all three) they count.
  auto missed =
      RunCli(Args(Server(), {"--user", dan, "--password", kPassword, "--device", "pad", "listen",
                             "--count", "3", "--timeout", "5", "--include-missed"}));
  EXPECT_EQ(missed.exit_code, 0) << missed.err;
  EXPECT_NE(missed.out.find("missed one"), std::string::npos) << missed.out;
}

TEST(CliTest, ListenReconnectsWhenItsAccessNodeRestartsAndMissesNothing) {
  const std::string erin = UniqueName("erin"), frank = UniqueName("frank");
  for (const auto& name : {erin, frank}) {
    ASSERT_EQ(RunCli(Args(Server(), {"register", name, "--password", kPassword})).exit_code, 0);
  }
  ChildProcess listener;
  const std::string log = SharedCluster().dir() + "/listen-reconnect.out";
  ASSERT_TRUE(StartListen(listener, frank, {}, {"--count", "2", "--timeout", "40"}, log))
      << ReadFile(log);
  const std::string as_erin = "IM_USER=" + erin + " IM_PASSWORD=" + kPassword;
  ASSERT_EQ(RunCli(Args(Server(), {"send", frank, "before the restart"}), as_erin).exit_code, 0);
  ASSERT_TRUE(WaitForText(log, "before the restart")) << ReadFile(log);
  // The node drains (its clients are told to come back), and is down a while.
  SharedCluster().StopAccess(0);
  const std::vector<std::string> other_node = {"--server", SharedCluster().access_address(1)};
  ASSERT_EQ(RunCli(Args(other_node, {"send", frank, "while it was down"}), as_erin).exit_code, 0);
  SharedCluster().StartAccess(0);
  EXPECT_EQ(listener.WaitExit(std::chrono::seconds(30)), 0) << ReadFile(log);
  const std::string out = ReadFile(log);
  EXPECT_NE(out.find("reconnecting"), std::string::npos) << out;
  EXPECT_NE(out.find("reconnected"), std::string::npos) << out;
  EXPECT_NE(out.find("while it was down"), std::string::npos) << out;
  const std::size_t first = out.find("before the restart");
  ASSERT_NE(first, std::string::npos) << out;
  EXPECT_EQ(out.find("before the restart", first + 1), std::string::npos) << "printed twice";
}

// Sessions of `user_id` the server holds.
std::uint64_t SessionsOf(std::uint64_t user_id) {
  return SharedCluster()
      .Query("SELECT COUNT(*) FROM sessions WHERE user_id = ?", {user_id})
      .at(0)
      .U64(0);
}

std::uint64_t UserId(const std::string& name) {
  return SharedCluster().Query("SELECT user_id FROM users WHERE username = ?", {name}).at(0).U64(0);
}

TEST(CliTest, LoginOnceThenCommandsNeedNoPasswordAndLogoutEndsTheSessions) {
  const std::string ivy = UniqueName("ivy"), jon = UniqueName("jon");
  for (const auto& name : {ivy, jon}) {
    ASSERT_EQ(RunCli(Args(Server(), {"register", name, "--password", kPassword})).exit_code, 0);
  }
  const std::uint64_t ivy_id = UserId(ivy);
  // Without a saved login, a command with a password leaves no session behind.
  ASSERT_EQ(RunCli(Args(Server(), {"conv", "list"}), "IM_USER=" + ivy + " IM_PASSWORD=" + kPassword)
                .exit_code,
            0);
  EXPECT_EQ(SessionsOf(ivy_id), 0u);

  const std::string config = "XDG_CONFIG_HOME=" + SharedCluster().dir() + "/config-" + ivy;
  const std::string as_ivy = config + " IM_USER=" + ivy;  // no password from here on
  auto login = RunCli(Args(Server(), {"login"}), as_ivy, std::string(kPassword) + "\n");
  ASSERT_EQ(login.exit_code, 0) << login.err;
  EXPECT_NE(login.out.find("logged in as " + ivy), std::string::npos) << login.out;
  EXPECT_EQ(SessionsOf(ivy_id), 3u) << "one each for the chat window, listen and commands";

  // Ten commands, stdin empty: none may need the password.
  for (int i = 0; i < 9; ++i) {
    auto sent = RunCli(Args(Server(), {"send", jon, "note " + std::to_string(i)}), as_ivy);
    ASSERT_EQ(sent.exit_code, 0) << sent.err;
  }
  auto listed = RunCli(Args(Server(), {"conv", "list"}), as_ivy);
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find(jon), std::string::npos) << listed.out;
  EXPECT_EQ(SessionsOf(ivy_id), 3u) << "the commands used the saved session";

  auto logout = RunCli(Args(Server(), {"logout"}), as_ivy);
  ASSERT_EQ(logout.exit_code, 0) << logout.err;
  EXPECT_NE(logout.out.find("3 sessions ended"), std::string::npos) << logout.out;
  EXPECT_EQ(SessionsOf(ivy_id), 0u);
  // Now a password is needed again (and none is given).
  auto after = RunCli(Args(Server(), {"conv", "list"}), as_ivy);
  EXPECT_EQ(after.exit_code, 1) << after.err;
  EXPECT_NE(after.err.find("no password given"), std::string::npos) << after.err;
  auto again = RunCli(Args(Server(), {"logout"}), as_ivy);
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_NE(again.out.find("no saved session"), std::string::npos) << again.out;
}

TEST(CliTest, ASavedSessionEndedOnTheServerFallsBackToThePassword) {
  const std::string kim = UniqueName("kim");
  ASSERT_EQ(RunCli(Args(Server(), {"register", kim, "--password", kPassword})).exit_code, 0);
  const std::string as_kim =
      "XDG_CONFIG_HOME=" + SharedCluster().dir() + "/config-" + kim + " IM_USER=" + kim;
  ASSERT_EQ(RunCli(Args(Server(), {"login", "--password", kPassword}), as_kim).exit_code, 0);
  SharedCluster().Query("DELETE FROM sessions WHERE user_id = ?", {UserId(kim)});
  auto listed = RunCli(Args(Server(), {"conv", "list"}), as_kim, std::string(kPassword) + "\n");
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  auto without = RunCli(Args(Server(), {"conv", "list"}), as_kim);
  EXPECT_EQ(without.exit_code, 1) << "the ended session was forgotten: " << without.err;
}

TEST(CliTest, ServerListTriesEachAddressInTurn) {
  const std::string nobody = "127.0.0.1:" + std::to_string(PickFreePort());
  const std::string name = UniqueName("dora");
  auto reg = RunCli({"--server", nobody + "," + SharedCluster().access_address(), "register", name,
                     "--password", kPassword});
  EXPECT_EQ(reg.exit_code, 0) << reg.err;
  const std::string also_nobody = "127.0.0.1:" + std::to_string(PickFreePort());
  auto none = RunCli({"--server", nobody + "," + also_nobody, "--user", name, "--password",
                      kPassword, "conv", "list"});
  EXPECT_EQ(none.exit_code, 3);
  EXPECT_NE(none.err.find("server unreachable at " + nobody + ", " + also_nobody),
            std::string::npos)
      << none.err;
}

TEST(CliTest, ErrorsAreWordsOnStderrWithDistinctExitCodes) {
  const std::string carol = UniqueName("carol");
  ASSERT_EQ(RunCli(Args(Server(), {"register", carol, "--password", kPassword})).exit_code, 0);

  auto taken = RunCli(Args(Server(), {"register", carol, "--password", kPassword}));
  EXPECT_EQ(taken.exit_code, 1);
  EXPECT_EQ(taken.err, "im-cli: username '" + carol + "' is already taken\n");

  auto wrong =
      RunCli(Args(Server(), {"--user", carol, "--password", "nope-nope", "send", "x", "y"}));
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_EQ(wrong.err, "im-cli: wrong username or password\n");

  auto nobody = RunCli(
      Args(Server(), {"--user", carol, "--password", kPassword, "send", "ghost_user", "hi"}));
  EXPECT_EQ(nobody.exit_code, 1);
  EXPECT_EQ(nobody.err, "im-cli: no such user 'ghost_user'\n");

  const std::string closed = "127.0.0.1:" + std::to_string(PickFreePort());
  auto unreachable =
      RunCli({"--server", closed, "--user", carol, "--password", kPassword, "send", "x", "y"});
  EXPECT_EQ(unreachable.exit_code, 3);
  EXPECT_EQ(unreachable.err, "im-cli: server unreachable at " + closed + "\n");

  auto usage = RunCli({"send"});
  EXPECT_EQ(usage.exit_code, 2);
  auto timeout = RunCli(Args(Server(), {"--user", carol, "--password", kPassword, "listen",
                                        "--count", "1", "--timeout", "0.5"}));
  EXPECT_EQ(timeout.exit_code, 3);
  EXPECT_NE(timeout.err.find("timed out after 0 of 1 messages"), std::string::npos) << timeout.err;
}

TEST(CliTest, FriendBlockAndPrivacyCommands) {
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob");
  for (const auto& name : {alice, bob}) {
    ASSERT_EQ(RunCli(Args(Server(), {"register", name, "--password", kPassword})).exit_code, 0);
  }
  auto as = [](const std::string& user, std::vector<std::string> args) {
    return RunCli(Args(Args(Server(), {"--user", user, "--password", kPassword}), args));
  };
  auto request = as(alice, {"friend", "request", bob, "--note", "hi bob"});
  EXPECT_EQ(request.exit_code, 0) << request.err;
  EXPECT_EQ(request.out, "friend request sent to " + bob + "\n");

  auto pending = as(bob, {"friend", "pending"});
  EXPECT_EQ(pending.out, "from " + alice + ": hi bob\n");
  auto accept = as(bob, {"friend", "accept", alice});
  EXPECT_EQ(accept.out, "you and " + alice + " are now friends\n");
  auto list = as(alice, {"--json", "friend", "list"});
  EXPECT_NE(list.out.find("\"username\":\"" + bob + "\",\"online\":false"), std::string::npos)
      << list.out;

  auto privacy = as(bob, {"privacy", "set", "messages", "friends"});
  EXPECT_EQ(privacy.out, "who may message you: friends\n");
  auto block = as(bob, {"block", "add", alice});
  EXPECT_EQ(block.exit_code, 0);
  auto refused = as(alice, {"send", bob, "hello"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_EQ(refused.err, "im-cli: " + bob + " has blocked you\n");
  EXPECT_EQ(as(bob, {"block", "list"}).out, alice + "\n");

  auto usage = RunCli({"friend", "befriend", bob});  // checked before asking for a password
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_NE(usage.err.find("friend request PEER"), std::string::npos) << usage.err;
  auto self = as(alice, {"friend", "request", alice});
  EXPECT_EQ(self.exit_code, 1);
  EXPECT_EQ(self.err, "im-cli: you cannot befriend yourself\n");
}

TEST(CliTest, GroupCommandsCreateSendHistoryAndRefusals) {
  const std::string owner = UniqueName("gowner"), bob = UniqueName("gbob");
  for (const auto& name : {owner, bob}) {
    ASSERT_EQ(RunCli(Args(Server(), {"register", name, "--password", kPassword})).exit_code, 0);
  }
  auto as = [](const std::string& user, std::vector<std::string> args) {
    return Args(Args(Server(), {"--user", user, "--password", kPassword}), args);
  };
  auto created = RunCli(as(owner, {"--json", "group", "create", "book club", bob}));
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const auto at = created.out.find("\"group_id\":");
  ASSERT_NE(at, std::string::npos) << created.out;
  const std::string g = "g:" + std::to_string(std::stoull(created.out.substr(at + 11)));

  auto sent = RunCli(as(bob, {"send", g, "hello", "club"}));
  EXPECT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_NE(sent.out.find("sent to " + g), std::string::npos) << sent.out;
  auto history = RunCli(as(owner, {"history", g}));
  EXPECT_EQ(history.exit_code, 0) << history.err;
  EXPECT_NE(history.out.find("* " + owner + " created the group \"book club\" with " + bob),
            std::string::npos)
      << history.out;
  EXPECT_NE(history.out.find(bob + ": hello club"), std::string::npos) << history.out;

  auto members = RunCli(as(owner, {"group", "members", g}));
  EXPECT_EQ(members.exit_code, 0) << members.err;
  // The owner is logged in while the command runs; bob is not.
  EXPECT_NE(members.out.find(owner + "  owner  online"), std::string::npos) << members.out;
  EXPECT_NE(members.out.find(bob + "  member  offline"), std::string::npos) << members.out;

  // A member may not kick; the refusal says why, with exit code 1.
  auto kick = RunCli(as(bob, {"group", "kick", g, owner}));
  EXPECT_EQ(kick.exit_code, 1);
  EXPECT_NE(kick.err.find("only the owner and admins can remove members"), std::string::npos)
      << kick.err;
  auto bad = RunCli(as(bob, {"group", "kick", "g:x", owner}));
  EXPECT_EQ(bad.exit_code, 2);

  auto list = RunCli(as(bob, {"conv", "list"}));
  EXPECT_NE(list.out.find(g + " book club"), std::string::npos) << list.out;
  EXPECT_EQ(RunCli(as(bob, {"group", "leave", g})).exit_code, 0);
  auto groups = RunCli(as(bob, {"group", "list"}));
  EXPECT_NE(groups.out.find("not in any group"), std::string::npos) << groups.out;
}

}  // namespace
}  // namespace im::testing
