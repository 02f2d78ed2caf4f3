// TlsPortHint: what im-cli tells a user whose plain-TCP connection was closed
// before any frame came back.

#include "client-cli/client_transport.h"
#include "client-cli/poll_transport.h"

#include <gtest/gtest.h>

namespace im::cli {
namespace {

TEST(TlsPortHintTest, ATlsAlertOrHandshakeRecordSaysThePortSpeaksTls) {
  EXPECT_NE(TlsPortHint(std::string("\x15\x03\x03\x00\x02\x02\x46", 7)).find("speaks TLS"),
            std::string::npos);
  EXPECT_NE(TlsPortHint(std::string("\x16\x03\x01", 3)).find("pass --tls"), std::string::npos);
}

TEST(TlsPortHintTest, NothingAtAllSuggestsTlsAsAPossibility) {
  const std::string hint = TlsPortHint("");
  EXPECT_NE(hint.find("closed before answering anything"), std::string::npos) << hint;
  EXPECT_NE(hint.find("if this port speaks TLS"), std::string::npos) << hint;
}

TEST(TlsPortHintTest, OtherBytesGiveNoHint) {
  EXPECT_EQ(TlsPortHint(std::string("\x00\x00\x00\x05hello", 9)), "");
  EXPECT_EQ(TlsPortHint(std::string("\x15", 1)), "") << "one byte is not a record header";
  EXPECT_EQ(TlsPortHint("HTTP/1.1 400"), "");
}

}  // namespace
}  // namespace im::cli

namespace im::cli {
namespace {

TEST(ServerUrlTest, LongPollUrlsNameHostPortPathAndTls) {
  auto url = ParsePollUrl("http://127.0.0.1:7500/poll");
  ASSERT_TRUE(url.has_value());
  EXPECT_EQ(url->host_port, "127.0.0.1:7500");
  EXPECT_EQ(url->path, "/poll");
  EXPECT_FALSE(url->secure);
  url = ParsePollUrl("https://chat.example:443/im/poll/");
  ASSERT_TRUE(url.has_value());
  EXPECT_EQ(url->host_port, "chat.example:443");
  EXPECT_EQ(url->path, "/im/poll") << "no trailing slash";
  EXPECT_TRUE(url->secure);
  url = ParsePollUrl("http://127.0.0.1:7500");
  ASSERT_TRUE(url.has_value());
  EXPECT_EQ(url->path, "/poll") << "the default path";
  EXPECT_FALSE(ParsePollUrl("127.0.0.1:7000").has_value());
  EXPECT_FALSE(ParsePollUrl("ws://127.0.0.1:7400/im").has_value());
  EXPECT_FALSE(ParsePollUrl("httpx://127.0.0.1:7500/poll").has_value());
}

}  // namespace
}  // namespace im::cli
