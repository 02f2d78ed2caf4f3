#include "client-cli/cli_output.h"

#include <ctime>

#include "common/str_cat.h"

namespace im::cli {

std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
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

std::string FormatMessage(const client::ChatMessage& m, bool json) {
  if (json) {
    return common::StrCat("{\"type\":\"message\",\"msg_id\":", m.msg_id(),
                          ",\"conv_id\":", m.conv_id(), ",\"seq\":", m.seq(),
                          ",\"from\":", JsonString(m.sender()), ",\"to\":",
                          JsonString(m.recipient()), ",\"text\":", JsonString(m.text()),
                          ",\"sent_at_ms\":", m.sent_at_ms(), "}");
  }
  return common::StrCat("[", FormatTime(m.sent_at_ms()), "] ", m.sender(), ": ", m.text());
}

std::string FormatSent(const std::string& peer, const client::SendMessageResponse& sent,
                       bool json) {
  if (json) {
    return common::StrCat("{\"type\":\"sent\",\"to\":", JsonString(peer),
                          ",\"msg_id\":", sent.msg_id(), ",\"conv_id\":", sent.conv_id(),
                          ",\"seq\":", sent.seq(), ",\"sent_at_ms\":", sent.sent_at_ms(), "}");
  }
  return common::StrCat("sent to ", peer, ": msg_id=", sent.msg_id(), " seq=", sent.seq());
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
