#include "client-cli/cli_output.h"

#include <gtest/gtest.h>

namespace im::cli {
namespace {

TEST(CliOutputTest, JsonStringEscapes) {
  EXPECT_EQ(JsonString("a\"b\\c\nd\x01"), "\"a\\\"b\\\\c\\nd\\u0001\"");
  EXPECT_EQ(JsonString("héllo"), "\"héllo\"");
}

TEST(CliOutputTest, MessageAsTextAndJson) {
  client::ChatMessage m;
  m.set_msg_id(5);
  m.set_conv_id(2);
  m.set_seq(3);
  m.set_sender("alice");
  m.set_recipient("bob");
  m.set_text("hi \"bob\"");
  m.set_sent_at_ms(1700000000000);
  const std::string text = FormatMessage(m, false);
  EXPECT_NE(text.find("] alice: hi \"bob\""), std::string::npos) << text;
  EXPECT_EQ(FormatMessage(m, true),
            "{\"type\":\"message\",\"msg_id\":5,\"conv_id\":2,\"seq\":3,\"from\":\"alice\","
            "\"to\":\"bob\",\"group_id\":0,\"kind\":\"text\",\"text\":\"hi "
            "\\\"bob\\\"\",\"payload\":\"\","
            "\"recalled\":false,\"sent_at_ms\":1700000000000}");
  m.set_recalled(true);
  EXPECT_NE(FormatMessage(m, false).find("alice recalled a message (msg 5)"), std::string::npos);
}

TEST(CliOutputTest, OwnSendShowsThePeerTextAndSeq) {
  client::SendMessageResponse sent;
  sent.set_seq(7);
  sent.set_sent_at_ms(1700000000000);
  const std::string line = FormatOwnSend("bob", "see you", sent);
  EXPECT_EQ(line.rfind("[", 0), 0u) << line;
  EXPECT_NE(line.find("] you -> bob: see you  #7"), std::string::npos) << line;
}

TEST(CliOutputTest, ASendTheFilterMaskedSaysSo) {
  client::SendMessageResponse sent;
  sent.set_msg_id(3);
  sent.set_seq(7);
  EXPECT_EQ(FormatSent("bob", sent, false), "sent to bob: msg_id=3 seq=7");
  EXPECT_EQ(FormatSent("bob", sent, true).find("masked"), std::string::npos);
  sent.set_masked(true);
  EXPECT_EQ(FormatSent("bob", sent, false),
            "sent to bob: msg_id=3 seq=7 (masked by the server's content filter)");
  EXPECT_NE(FormatSent("bob", sent, true).find(",\"masked\":true}"), std::string::npos);
  EXPECT_NE(FormatOwnSend("bob", "darn", sent).find("#7 (masked by the server's content filter)"),
            std::string::npos);
}

TEST(CliOutputTest, ASendTheHookRewroteSaysSo) {
  client::SendMessageResponse sent;
  sent.set_msg_id(3);
  sent.set_seq(7);
  sent.set_rewritten(true);
  EXPECT_EQ(FormatSent("bob", sent, false), "sent to bob: msg_id=3 seq=7 (rewritten by the server)");
  EXPECT_NE(FormatSent("bob", sent, true).find(",\"rewritten\":true}"), std::string::npos);
  EXPECT_NE(FormatOwnSend("bob", "hi", sent).find("#7 (rewritten by the server)"),
            std::string::npos);
}

TEST(CliOutputTest, ADesksReplyNamesItsAgent) {
  client::ChatMessage m;
  m.set_sender("support");
  m.set_agent("ann");
  m.set_text("it ships tomorrow");
  EXPECT_NE(FormatMessage(m, false).find("] support (ann): it ships tomorrow"), std::string::npos)
      << FormatMessage(m, false);
  EXPECT_NE(FormatMessage(m, true).find(",\"agent\":\"ann\""), std::string::npos);
  m.clear_agent();
  EXPECT_EQ(FormatMessage(m, true).find("agent"), std::string::npos);
}

TEST(CliOutputTest, GroupAndSystemMessagesNameTheirGroup) {
  client::ChatMessage m;
  m.set_group_id(12);
  m.set_conv_id(12);
  m.set_sender("alice");
  m.set_text("hello all");
  EXPECT_NE(FormatMessage(m, false).find("] g:12 alice: hello all"), std::string::npos);
  m.set_kind("system");
  m.set_text("alice added bob");
  EXPECT_NE(FormatMessage(m, false).find("] g:12 * alice added bob"), std::string::npos);
  EXPECT_NE(FormatMessage(m, true).find("\"group_id\":12"), std::string::npos);
}

TEST(CliOutputTest, ExitCodes) {
  EXPECT_EQ(ExitCodeFor(absl::OkStatus()), kExitOk);
  EXPECT_EQ(ExitCodeFor(absl::UnavailableError("x")), kExitUnavailable);
  EXPECT_EQ(ExitCodeFor(absl::UnauthenticatedError("wrong password")), kExitRefused);
}

}  // namespace
}  // namespace im::cli
