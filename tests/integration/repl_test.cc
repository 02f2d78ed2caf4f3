// im-cli's interactive mode driven through a pseudo-terminal, as a person
// types into it, against the real cluster: registering with the password
// typed twice, a saved login, a sent line shown once (as acknowledged), /to
// refusing a user who does not exist, /history, a `listen` and a one-shot
// command of the same user beside it, colour, and a restart of its access
// node that it rides out.

#include <thread>

#include "tests/integration/cli_runner.h"
#include "tests/integration/cluster_env.h"

namespace im::testing {
namespace {

// im-cli's REPL on a terminal of its own, with its screen in `log`.
struct Repl {
  ChildProcess process;
  std::string log;

  Repl(const std::string& name, const std::vector<std::string>& flags,
       const std::vector<std::string>& env = {}) {
    log = SharedCluster().dir() + "/repl-" + name + ".screen";
    // XDG_STATE_HOME: the line history goes under the test's directory.
    process.StartOnTerminal(Args(Args({CliPath()}, Server()), flags), log,
                            Args({"XDG_STATE_HOME=" + SharedCluster().dir() + "/state"}, env));
  }
  std::string screen() const { return ReadFile(log); }
  bool Shows(const std::string& text, int seconds = 10) const {
    return WaitForText(log, text, seconds);
  }
  void Type(const std::string& keys) { process.Type(keys); }
};

TEST(ReplTest, RegistersWithThePasswordTypedTwiceAndRefusesAMismatch) {
  const std::string name = UniqueName("rita");
  {
    Repl repl(name + "-mismatch", {"--user", name});
    ASSERT_TRUE(repl.Shows("Password for " + name)) << repl.screen();
    repl.Type(std::string(kPassword) + "\n");
    ASSERT_TRUE(repl.Shows("register it now?")) << repl.screen();
    repl.Type("y\n");
    ASSERT_TRUE(repl.Shows("the same password again")) << repl.screen();
    repl.Type("something-else\n");
    EXPECT_TRUE(repl.Shows("the passwords differ; nothing was registered")) << repl.screen();
    EXPECT_NE(repl.process.WaitExit(std::chrono::seconds(10)), 0);
  }
  Repl repl(name, {"--user", name});
  ASSERT_TRUE(repl.Shows("Password for " + name)) << repl.screen();
  repl.Type(std::string(kPassword) + "\n");
  ASSERT_TRUE(repl.Shows("register it now?")) << repl.screen();
  repl.Type("y\n");
  ASSERT_TRUE(repl.Shows("the same password again")) << repl.screen();
  repl.Type(std::string(kPassword) + "\n");
  ASSERT_TRUE(repl.Shows("logged in as " + name)) << repl.screen();
  // The typed passwords never appear on the screen.
  EXPECT_EQ(repl.screen().find(kPassword), std::string::npos) << repl.screen();
  repl.Type("/quit\n");
  EXPECT_EQ(repl.process.WaitExit(std::chrono::seconds(10)), 0) << repl.screen();
}

TEST(ReplTest, AfterImCliLoginItAsksForNoPassword) {
  const std::string lea = UniqueName("lea");
  ASSERT_EQ(RunCli(Args(Server(), {"register", lea, "--password", kPassword})).exit_code, 0);
  const std::string config = SharedCluster().dir() + "/config-" + lea;
  ASSERT_EQ(RunCli(Args(Server(), {"login", "--password", kPassword}),
                   "XDG_CONFIG_HOME=" + config + " IM_USER=" + lea)
                .exit_code,
            0);
  Repl repl(lea, {"--user", lea}, {"XDG_CONFIG_HOME=" + config});
  ASSERT_TRUE(repl.Shows("logged in as " + lea)) << repl.screen();
  EXPECT_EQ(repl.screen().find("Password"), std::string::npos) << repl.screen();
  repl.Type("/quit\n");
  EXPECT_EQ(repl.process.WaitExit(std::chrono::seconds(10)), 0) << repl.screen();
}

TEST(ReplTest, ASentLineShowsOnceAndAOneShotCommandBesideItKeepsItConnected) {
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob");
  for (const auto& name : {alice, bob}) {
    ASSERT_EQ(RunCli(Args(Server(), {"register", name, "--password", kPassword})).exit_code, 0);
  }
  Repl repl(alice, {"--user", alice, "--password", kPassword});
  ASSERT_TRUE(repl.Shows("logged in as " + alice)) << repl.screen();
  // And a `listen` of alice's beside it, on a device of its own.
  ChildProcess listener;
  const std::string listen_log = SharedCluster().dir() + "/repl-listen-" + alice + ".out";
  listener.Start(Args(Args({CliPath()}, Server()),
                      {"--user", alice, "--password", kPassword, "listen", "--timeout", "60"}),
                 listen_log);
  ASSERT_TRUE(WaitForText(listen_log, "listening as " + alice)) << ReadFile(listen_log);

  const std::string nobody = UniqueName("nobody");
  repl.Type("/to " + nobody + "\n");
  EXPECT_TRUE(repl.Shows("no such user '" + nobody + "'")) << repl.screen();
  repl.Type("/to " + bob + "\n");
  ASSERT_TRUE(repl.Shows(alice + " -> " + bob + "> ")) << repl.screen();

  repl.Type("first words\n");
  ASSERT_TRUE(repl.Shows("you -> " + bob + ": first words  #1")) << repl.screen();
  EXPECT_NE(repl.screen().find("\033[32m["), std::string::npos) << "green on a terminal";

  // bob answers; a one-shot command of alice runs beside the REPL.
  const std::string as_bob = "IM_USER=" + bob + " IM_PASSWORD=" + kPassword;
  ASSERT_EQ(RunCli(Args(Server(), {"send", alice, "an answer"}), as_bob).exit_code, 0);
  ASSERT_TRUE(repl.Shows(bob + ": an answer")) << repl.screen();
  // Marked read as shown (the conversation is open), just after it shows.
  CliResult beside;
  for (int i = 0; i < 50; ++i) {
    beside =
        RunCli(Args(Server(), {"conv", "list"}), "IM_USER=" + alice + " IM_PASSWORD=" + kPassword);
    if (beside.exit_code != 0 || beside.out.find("(0 unread)") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(beside.exit_code, 0) << beside.err;
  EXPECT_NE(beside.out.find("(0 unread)"), std::string::npos) << beside.out;
  ASSERT_EQ(RunCli(Args(Server(), {"send", alice, "still there?"}), as_bob).exit_code, 0);
  ASSERT_TRUE(repl.Shows(bob + ": still there?")) << repl.screen();
  // The listen got both, and the one-shot command ended neither it nor the REPL.
  EXPECT_TRUE(WaitForText(listen_log, bob + ": still there?")) << ReadFile(listen_log);
  EXPECT_NE(ReadFile(listen_log).find(bob + ": an answer"), std::string::npos);
  EXPECT_EQ(ReadFile(listen_log).find("disconnected"), std::string::npos) << ReadFile(listen_log);
  EXPECT_EQ(listener.WaitExit(std::chrono::milliseconds(10)), -1) << "the listen ended";

  // The acknowledged line once, and never again after later messages.
  EXPECT_EQ(Occurrences(repl.screen(), ": first words"), 1) << repl.screen();

  repl.Type("/history 5\n");
  ASSERT_TRUE(repl.Shows("] " + alice + ": first words")) << repl.screen();
  repl.Type("/quit\n");
  EXPECT_EQ(repl.process.WaitExit(std::chrono::seconds(10)), 0) << repl.screen();
  EXPECT_EQ(repl.screen().find("disconnected"), std::string::npos) << repl.screen();
}

TEST(ReplTest, NoColourWhenNoColorIsSet) {
  const std::string max = UniqueName("max"), ned = UniqueName("ned");
  for (const auto& name : {max, ned}) {
    ASSERT_EQ(RunCli(Args(Server(), {"register", name, "--password", kPassword})).exit_code, 0);
  }
  Repl repl(max, {"--user", max, "--password", kPassword}, {"NO_COLOR=1"});
  ASSERT_TRUE(repl.Shows("logged in as " + max)) << repl.screen();
  repl.Type("/to " + ned + "\n");
  repl.Type("plain\n");
  repl.Type("/nonsense\n");
  ASSERT_TRUE(repl.Shows("unknown command /nonsense")) << repl.screen();
  EXPECT_TRUE(repl.Shows("you -> " + ned + ": plain  #1")) << repl.screen();
  EXPECT_EQ(repl.screen().find("\033[3"), std::string::npos) << repl.screen();
  repl.Type("/quit\n");
  EXPECT_EQ(repl.process.WaitExit(std::chrono::seconds(10)), 0) << repl.screen();
}

TEST(ReplTest, RidesOutARestartOfItsAccessNodeAndMissesNothing) {
  const std::string gina = UniqueName("gina"), hal = UniqueName("hal");
  for (const auto& name : {gina, hal}) {
    ASSERT_EQ(RunCli(Args(Server(), {"register", name, "--password", kPassword})).exit_code, 0);
  }
  Repl repl(hal, {"--user", hal, "--password", kPassword});
  ASSERT_TRUE(repl.Shows("logged in as " + hal)) << repl.screen();
  const std::string as_gina = "IM_USER=" + gina + " IM_PASSWORD=" + kPassword;

  // The node drains (its clients are told to come back) and is down a while.
  SharedCluster().StopAccess(0);
  EXPECT_TRUE(repl.Shows("reconnecting")) << repl.screen();
  const std::vector<std::string> other_node = {"--server", SharedCluster().access_address(1)};
  ASSERT_EQ(RunCli(Args(other_node, {"send", hal, "while it was down"}), as_gina).exit_code, 0);
  SharedCluster().StartAccess(0);
  EXPECT_TRUE(repl.Shows("reconnected", 30)) << repl.screen();
  EXPECT_TRUE(repl.Shows(gina + ": while it was down")) << repl.screen();

  // And it goes on as before: a message typed after the restart is sent.
  repl.Type("/to " + gina + "\n");
  repl.Type("after the restart\n");
  EXPECT_TRUE(repl.Shows("you -> " + gina + ": after the restart  #2")) << repl.screen();
  EXPECT_EQ(Occurrences(repl.screen(), ": while it was down"), 2)
      << "missed, then in /to's history: " << repl.screen();
  repl.Type("/quit\n");
  EXPECT_EQ(repl.process.WaitExit(std::chrono::seconds(10)), 0) << repl.screen();
}

}  // namespace
}  // namespace im::testing
