// TlsPortHint: what im-cli tells a user whose plain-TCP connection was closed
// before any frame came back.

#include "client-cli/client_transport.h"

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
