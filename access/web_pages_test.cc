// WebPages: what a web_root directory serves, and what makes it refuse to load.

#include "access/web_pages.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace im::access {
namespace {

namespace fs = std::filesystem;

class WebPagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("web-pages-test-" + std::to_string(getpid()));
    fs::create_directories(dir_ / "sub");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Write(const std::string& name, const std::string& body) {
    std::ofstream(dir_ / name, std::ios::binary) << body;
  }
  fs::path dir_;
};

TEST_F(WebPagesTest, ServesEachFileByExactNameWithItsType) {
  Write("index.html", "<!doctype html>");
  Write("app.js", "start()");
  Write("client.proto", "syntax = \"proto3\";");
  Write("sub/secret.txt", "not served");
  auto pages = WebPages::Load(dir_.string());
  ASSERT_TRUE(pages.ok()) << pages.status();
  EXPECT_EQ((*pages)->file_count(), 3u) << "files directly in the directory only";

  const WebPages::File* index = (*pages)->Find("/");
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->body, "<!doctype html>");
  EXPECT_EQ(index->content_type, "text/html; charset=utf-8");
  EXPECT_EQ((*pages)->Find("/index.html?v=2"), index) << "a query is ignored";
  ASSERT_NE((*pages)->Find("/app.js"), nullptr);
  EXPECT_EQ((*pages)->Find("/app.js")->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ((*pages)->Find("/client.proto")->content_type, "text/plain; charset=utf-8");

  for (const char* path : {"/sub/secret.txt", "/../index.html", "/./app.js", "app.js", "/APP.JS",
                           "/missing.js", ""}) {
    EXPECT_EQ((*pages)->Find(path), nullptr) << path;
  }
}

TEST_F(WebPagesTest, ADirectoryWithoutIndexHtmlOrMissingIsRefusedWithTheReason) {
  Write("app.js", "start()");
  auto without_index = WebPages::Load(dir_.string());
  ASSERT_FALSE(without_index.ok());
  EXPECT_NE(without_index.status().message().find("has no index.html"), std::string::npos)
      << without_index.status();

  auto missing = WebPages::Load((dir_ / "nowhere").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("cannot be read"), std::string::npos)
      << missing.status();
}

TEST_F(WebPagesTest, MoreThanTheLimitIsRefused) {
  Write("index.html", "<!doctype html>");
  Write("big.bin", std::string(WebPages::kMaxTotalBytes, 'x'));
  auto pages = WebPages::Load(dir_.string());
  ASSERT_FALSE(pages.ok());
  EXPECT_NE(pages.status().message().find("holds more than 16 MiB"), std::string::npos)
      << pages.status();
}

}  // namespace
}  // namespace im::access
