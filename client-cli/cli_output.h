#pragma once
// How im-cli prints things: one line per message, as text for people or as a
// JSON object per line (--json) for scripts; and the exit code for an error.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "client.pb.h"

namespace im::cli {

enum ExitCode { kExitOk = 0, kExitRefused = 1, kExitUsage = 2, kExitUnavailable = 3 };

std::string JsonString(std::string_view text);        // quoted and escaped
std::string FormatTime(std::int64_t ms_since_epoch);  // local "YYYY-MM-DD HH:MM:SS"
std::string FormatMessage(const client::ChatMessage& message, bool json);
// Read receipts, recalls and typing: one line each.
std::string FormatReadReceipt(const client::ReadReceipt& receipt, bool json);
std::string FormatRecall(const client::MessageRecalled& recall, bool json);
std::string FormatTyping(const client::TypingEvent& typing, bool json);
std::string FormatConversation(const client::ConversationSummary& conversation, bool json);
std::string FormatSent(const std::string& peer, const client::SendMessageResponse& sent, bool json);
// The REPL's line for a message this device sent, once the server has it:
// "[YYYY-MM-DD HH:MM:SS] you -> bob: TEXT  #SEQ".
std::string FormatOwnSend(const std::string& peer, const std::string& text,
                          const client::SendMessageResponse& sent);
// UNAVAILABLE / DEADLINE_EXCEEDED -> 3, everything else -> 1.
int ExitCodeFor(const absl::Status& status);

}  // namespace im::cli
