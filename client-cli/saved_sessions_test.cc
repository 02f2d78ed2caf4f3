#include "client-cli/saved_sessions.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace im::cli {
namespace {

class SavedSessionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/im-saved-sessions-XXXXXX";
    dir_ = mkdtemp(pattern);
    path_ = dir_ + "/im-cli/sessions";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_, path_;
};

TEST_F(SavedSessionsTest, SavesFindsReplacesAndRemovesPerServerUserAndDevice) {
  SavedSessions saved(path_);
  EXPECT_FALSE(saved.Find("s:1", "alice", "cli"));
  ASSERT_TRUE(saved.Save({"s:1", "alice", "cli", "t1"}).ok());
  ASSERT_TRUE(saved.Save({"s:1", "alice", "cli-cmd", "t2"}).ok());
  ASSERT_TRUE(saved.Save({"s:2", "alice", "cli", "t3"}).ok());
  ASSERT_TRUE(saved.Save({"s:1", "bob", "cli", "t4"}).ok());
  ASSERT_TRUE(saved.Save({"s:1", "alice", "cli", "t5"}).ok());  // replaces t1

  SavedSessions again(path_);  // what another process reads
  EXPECT_EQ(again.Find("s:1", "alice", "cli"), "t5");
  EXPECT_EQ(again.Find("s:1", "alice", "cli-cmd"), "t2");
  EXPECT_EQ(again.Find("s:2", "alice", "cli"), "t3");
  EXPECT_EQ(again.ForUser("s:1", "alice").size(), 2u);

  ASSERT_TRUE(again.Remove("s:1", "alice", "cli-cmd").ok());
  EXPECT_FALSE(again.Find("s:1", "alice", "cli-cmd"));
  EXPECT_EQ(again.Find("s:1", "alice", "cli"), "t5");
  ASSERT_TRUE(again.Remove("s:1", "alice").ok());
  EXPECT_TRUE(again.ForUser("s:1", "alice").empty());
  EXPECT_EQ(again.Find("s:1", "bob", "cli"), "t4");
  EXPECT_EQ(again.Find("s:2", "alice", "cli"), "t3");
}

TEST_F(SavedSessionsTest, OnlyItsOwnerMayReadTheFile) {
  SavedSessions saved(path_);
  ASSERT_TRUE(saved.Save({"s:1", "alice", "cli", "secret"}).ok());
  struct stat file {
  }, dir{};
  ASSERT_EQ(stat(path_.c_str(), &file), 0);
  ASSERT_EQ(stat((dir_ + "/im-cli").c_str(), &dir), 0);
  EXPECT_EQ(file.st_mode & 0777, 0600u);
  EXPECT_EQ(dir.st_mode & 0777, 0700u);
}

TEST_F(SavedSessionsTest, RefusesFieldsWithSpacesAndSkipsBrokenLines) {
  SavedSessions saved(path_);
  EXPECT_FALSE(saved.Save({"s:1", "alice", "my phone", "t"}).ok());
  EXPECT_FALSE(saved.Save({"s:1", "", "cli", "t"}).ok());
  ASSERT_TRUE(saved.Save({"s:1", "alice", "cli", "t1"}).ok());
  std::ofstream(path_, std::ios::app) << "half a line\n";
  EXPECT_EQ(SavedSessions(path_).Find("s:1", "alice", "cli"), "t1");
  EXPECT_EQ(SavedSessions(path_).ForUser("s:1", "alice").size(), 1u);
}

TEST_F(SavedSessionsTest, LivesUnderXdgConfigHome) {
  setenv("XDG_CONFIG_HOME", dir_.c_str(), 1);
  EXPECT_EQ(SavedSessions().path(), path_);
  unsetenv("XDG_CONFIG_HOME");
}

}  // namespace
}  // namespace im::cli
