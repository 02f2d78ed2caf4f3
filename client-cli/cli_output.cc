#include "client-cli/cli_output.h"

#include <google/protobuf/util/json_util.h>

#include <ctime>

#include "client-cli/group_event_text.h"
#include "common/str_cat.h"

namespace im::cli {

std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string FormatTime(std::int64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm local{};
  localtime_r(&seconds, &local);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &local);
  return buf;
}

namespace {

// The event as protobuf's JSON mapping (field names as in client.proto).
std::string GroupEventJson(const client::GroupEvent& event) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string out;
  if (!google::protobuf::util::MessageToJsonString(event, &out, options).ok()) return "null";
  return out;
}

}  // namespace

std::string FormatMessage(const client::ChatMessage& m, bool json) {
  const std::string kind = m.kind().empty() ? "text" : m.kind();
  // A group event is worded here; one recorded before events were typed
  // arrives worded, in `text`.
  const std::string text = m.has_group_event() ? DescribeGroupEvent(m.group_event()) : m.text();
  if (json) {
    return common::StrCat(
        "{\"type\":\"message\",\"msg_id\":", m.msg_id(), ",\"conv_id\":", m.conv_id(),
        ",\"seq\":", m.seq(), ",\"from\":", JsonString(m.sender()),
        ",\"to\":", JsonString(m.recipient()), ",\"group_id\":", m.group_id(),
        ",\"kind\":", JsonString(kind), ",\"text\":", JsonString(text),
        m.has_group_event() ? ",\"event\":" + GroupEventJson(m.group_event()) : "",
        ",\"payload\":", JsonString(m.payload()), ",\"recalled\":", m.recalled() ? "true" : "false",
        m.agent().empty() ? "" : ",\"agent\":" + JsonString(m.agent()),
        ",\"sent_at_ms\":", m.sent_at_ms(), "}");
  }
  const std::string where = m.group_id() != 0 ? common::StrCat("g:", m.group_id(), " ") : "";
  const std::string time = common::StrCat("[", FormatTime(m.sent_at_ms()), "] ", where);
  if (kind == "system") return common::StrCat(time, "* ", text);
  // A desk's reply names the agent who wrote it: "support (ann)".
  const std::string head =
      time + m.sender() + (m.agent().empty() ? "" : common::StrCat(" (", m.agent(), ")"));
  if (m.recalled()) return common::StrCat(head, " recalled a message (msg ", m.msg_id(), ")");
  if (kind != "text") return common::StrCat(head, " sent ", kind, ": ", m.payload());
  return common::StrCat(head, ": ", m.text());
}

std::string FormatReadReceipt(const client::ReadReceipt& r, bool json) {
  if (json) {
    return common::StrCat("{\"type\":\"read\",\"conv_id\":", r.conv_id(),
                          ",\"reader\":", JsonString(r.reader()), ",\"read_seq\":", r.read_seq(),
                          "}");
  }
  return common::StrCat("* ", r.reader(), " read up to #", r.read_seq());
}

std::string FormatRecall(const client::MessageRecalled& r, bool json) {
  if (json) {
    return common::StrCat("{\"type\":\"recalled\",\"conv_id\":", r.conv_id(),
                          ",\"msg_id\":", r.msg_id(), ",\"seq\":", r.seq(),
                          ",\"sender\":", JsonString(r.sender()), "}");
  }
  return common::StrCat("* ", r.sender(), " recalled message ", r.msg_id());
}

std::string FormatTyping(const client::TypingEvent& t, bool json) {
  if (json) return common::StrCat("{\"type\":\"typing\",\"from\":", JsonString(t.from_user()), "}");
  return common::StrCat("* ", t.from_user(), " is typing...");
}

std::string FormatConversation(const client::ConversationSummary& c, bool json) {
  if (json) {
    return common::StrCat(
        "{\"type\":\"conversation\",\"conv_id\":", c.conv_id(), ",\"peer\":", JsonString(c.peer()),
        ",\"group_id\":", c.group_id(), ",\"group_name\":", JsonString(c.group_name()),
        ",\"max_seq\":", c.max_seq(), ",\"read_seq\":", c.read_seq(), ",\"unread\":", c.unread(),
        ",\"last\":", FormatMessage(c.last_message(), true), "}");
  }
  const std::string who =
      c.group_id() != 0 ? common::StrCat("g:", c.group_id(), " ", c.group_name()) : c.peer();
  return common::StrCat(who, "  (", c.unread(), " unread)  ",
                        FormatMessage(c.last_message(), false));
}

// After a send the server changed: others got its version, not the text typed.
std::string_view ChangedNote(const client::SendMessageResponse& sent) {
  if (sent.masked()) return " (masked by the server's content filter)";
  if (sent.rewritten()) return " (rewritten by the server)";
  return "";
}

std::string FormatSent(const std::string& peer, const client::SendMessageResponse& sent,
                       bool json) {
  if (json) {
    return common::StrCat("{\"type\":\"sent\",\"to\":", JsonString(peer),
                          ",\"msg_id\":", sent.msg_id(), ",\"conv_id\":", sent.conv_id(),
                          ",\"seq\":", sent.seq(), ",\"sent_at_ms\":", sent.sent_at_ms(),
                          sent.masked() ? ",\"masked\":true" : "",
                          sent.rewritten() ? ",\"rewritten\":true" : "", "}");
  }
  return common::StrCat("sent to ", peer, ": msg_id=", sent.msg_id(), " seq=", sent.seq(),
                        ChangedNote(sent));
}

std::string FormatOwnSend(const std::string& peer, const std::string& text,
                          const client::SendMessageResponse& sent) {
  return common::StrCat("[", FormatTime(sent.sent_at_ms()), "] you -> ", peer, ": ", text, "  #",
                        sent.seq(), ChangedNote(sent));
}

int ExitCodeFor(const absl::Status& status) {
  if (status.ok()) return kExitOk;
  if (status.code() == absl::StatusCode::kUnavailable ||
      status.code() == absl::StatusCode::kDeadlineExceeded) {
    return kExitUnavailable;
  }
  return kExitRefused;
}

}  // namespace im::cli
