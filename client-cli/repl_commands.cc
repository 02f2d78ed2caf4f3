#include <iostream>
#include <sstream>
#include <vector>

#include "client-cli/cli_output.h"
#include "client-cli/desk_commands.h"
#include "client-cli/group_commands.h"
#include "client-cli/relation_commands.h"
#include "client-cli/repl_session.h"
#include "client-cli/target.h"

namespace im::cli {
namespace {

// Messages /to shows of the conversation it opens, and /history's default.
constexpr std::uint32_t kShownOnOpen = 10;

constexpr char kHelp[] =
    "Commands (a line without / goes to the open conversation):\n"
    "  /to TO               open a conversation with TO (a user, or g:ID): shows its last "
    "messages\n"
    "  /msg TO TEXT         send one message to TO without opening it\n"
    "  /history [N]         the open conversation's last N messages (default 10)\n"
    "  /read [TO]           mark a conversation read (default: the open one)\n"
    "  /autoread on|off     mark the open conversation read as its messages show (on)\n"
    "  /conv                conversations with unread counts\n"
    "  /friend VERB ...     request PEER [note] | accept | decline | cancel | remove PEER | "
    "list | pending\n"
    "  /block VERB ...      add PEER | remove PEER | list\n"
    "  /privacy set messages everyone|friends\n"
    "  /group VERB ...      create NAME [MEMBER...] | list | invite | kick | leave | dissolve |\n"
    "                       info | members | rename | announce | role | transfer | mute | "
    "unmute | mute-all\n"
    "  /desk VERB DESK ...  for a desk's agents: list | reply CUSTOMER TEXT | history CUSTOMER |\n"
    "                       transfer CUSTOMER AGENT | close CUSTOMER\n"
    "  /help                this list\n"
    "  /quit                leave (Ctrl-D works too)\n";

constexpr char kRed[] = "31", kGreen[] = "32";

std::string Paint(const ReplSession& s, const std::string& text, const char* colour) {
  return s.colour ? "\033[" + std::string(colour) + "m" + text + "\033[0m" : text;
}

void Fail(const ReplSession& s, const absl::Status& status) {
  Notice(s, std::string(status.message()));
}

// The last `limit` messages of `target`'s conversation (NOT_FOUND: no such
// user or group).
absl::StatusOr<client::ServerFrame> FetchHistory(ReplSession& s, const Target& target,
                                                 std::uint32_t limit) {
  client::ClientFrame request;
  SetTarget(target, request.mutable_history());
  request.mutable_history()->set_limit(limit);
  return s.client->Request(std::move(request));
}

void MarkRead(ReplSession& s, const Target& target) {
  client::ClientFrame request;
  SetTarget(target, request.mutable_mark_read());
  if (auto read = s.client->Request(std::move(request)); !read.ok()) Fail(s, read.status());
}

// Whether `message` belongs to the conversation named `open` ("bob", "g:12").
bool InConversation(const client::ChatMessage& message, const std::string& open,
                    const std::string& me) {
  auto target = ParseTarget(open);
  if (!target.ok() || open.empty()) return false;
  if (target->group_id != 0) return message.group_id() == target->group_id;
  if (message.group_id() != 0) return false;
  return (message.sender() == target->peer && message.recipient() == me) ||
         (message.sender() == me && message.recipient() == target->peer);
}

// Sends `text` to `peer`. On a terminal the typed line (`shown_rows` rows)
// is replaced by the message as the server acknowledged it, so it shows once.
void Send(ReplSession& s, const std::string& peer, const std::string& text, int shown_rows) {
  auto target = ParseTarget(peer);
  if (!target.ok()) return Fail(s, target.status());
  auto sent = target->group_id != 0 ? s.client->SendGroupText(target->group_id, text)
                                    : s.client->SendText(peer, text);
  if (!sent.ok()) {
    return Notice(s, "not sent: " + std::string(sent.status().message()));
  }
  s.inbox->NoteOwnSend(*sent);
  if (s.options.json) {
    std::cout << FormatSent(peer, *sent, true) << "\n";
    return;
  }
  if (s.terminal) {
    for (int i = 0; i < shown_rows; ++i) std::cout << "\033[A\r\033[K";
  }
  std::cout << Paint(s, FormatOwnSend(peer, text, *sent), kGreen) << "\n";
}

// "/to PEER": opens the conversation if PEER exists, showing its last messages.
void OpenConversation(ReplSession& s, const std::string& name) {
  if (name.empty()) {
    if (s.peer.empty()) return Notice(s, "usage: /to PEER (a user, or g:ID for a group)");
    std::cout << "talking to " << s.peer << "\n";
    return;
  }
  auto target = ParseTarget(name);
  if (!target.ok()) return Fail(s, target.status());
  auto history = FetchHistory(s, *target, kShownOnOpen);
  if (!history.ok()) return Fail(s, history.status());  // no such user or group: stay where we are
  s.peer = name;
  UpdatePrompt(s);
  for (const auto& m : history->history().messages()) {
    std::cout << FormatMessage(m, s.options.json) << "\n";
  }
  if (s.auto_read && !history->history().messages().empty()) MarkRead(s, *target);
}

void ShowHistory(ReplSession& s, std::istringstream& in) {
  if (s.peer.empty()) {
    return Notice(s, "no open conversation: /to PEER first");
  }
  std::uint32_t limit = kShownOnOpen;
  if (std::string word; in >> word) {
    try {
      limit = static_cast<std::uint32_t>(std::stoul(word));
    } catch (const std::exception&) {
      limit = 0;
    }
    if (limit == 0 || limit > 1000) {
      return Notice(s, "usage: /history [N] (N from 1 to 1000)");
    }
  }
  auto target = ParseTarget(s.peer);
  if (!target.ok()) return Fail(s, target.status());
  auto history = FetchHistory(s, *target, limit);
  if (!history.ok()) return Fail(s, history.status());
  if (history->history().messages().empty()) std::cout << "(no messages yet)\n";
  for (const auto& m : history->history().messages()) {
    std::cout << FormatMessage(m, s.options.json) << "\n";
  }
}

void ListConversations(ReplSession& s) {
  client::ClientFrame request;
  request.mutable_conv_list();
  auto list = s.client->Request(std::move(request));
  if (!list.ok()) return Fail(s, list.status());
  for (const auto& c : list->conv_list().conversations()) {
    std::cout << FormatConversation(c, s.options.json) << "\n";
  }
}

// "/group VERB ARGS... [--minutes N] [--after ID] [--limit N]".
void RunGroupLine(ReplSession& s, std::istringstream& in) {
  std::vector<std::string> args;
  GroupCommandOptions options;
  for (std::string word; in >> word;) {
    std::uint64_t value = 0;
    if ((word == "--minutes" || word == "--after" || word == "--limit") && in >> value) {
      if (word == "--minutes") options.minutes = static_cast<std::uint32_t>(value);
      if (word == "--after") options.after = value;
      if (word == "--limit") options.limit = static_cast<std::uint32_t>(value);
      continue;
    }
    args.push_back(word);
  }
  auto parsed = ParseGroupCommand(args, options);
  absl::Status status = parsed.ok() ? RunPrintedRequest(*s.client, *parsed, s.options.json, std::cout)
                                    : parsed.status();
  if (!status.ok()) Fail(s, status);
}

// "/desk VERB DESK ARGS... [--limit N]" (desk_commands.h).
void RunDeskLine(ReplSession& s, std::istringstream& in) {
  std::vector<std::string> args;
  std::uint32_t limit = 0;
  for (std::string word; in >> word;) {
    if (word == "--limit" && in >> limit) continue;
    args.push_back(word);
  }
  auto parsed = ParseDeskCommand(args, limit);
  absl::Status status = parsed.ok()
                            ? RunPrintedRequest(*s.client, *parsed, s.options.json, std::cout)
                            : parsed.status();
  if (!status.ok()) Fail(s, status);
}

void RunRelationLine(ReplSession& s, const std::string& group, std::istringstream& in) {
  std::vector<std::string> args;
  for (std::string word; in >> word;) args.push_back(word);
  std::string note;
  // "/friend request PEER some words": the words are the note.
  if (args.size() > 2 && args[0] == "request") {
    const std::size_t first = args[2] == "--note" ? 3 : 2;
    for (std::size_t i = first; i < args.size(); ++i) note += (i > first ? " " : "") + args[i];
    args.resize(2);
  }
  auto parsed = ParseRelationCommand(group, args, note);
  absl::Status status = parsed.ok()
                            ? RunPrintedRequest(*s.client, *parsed, s.options.json, std::cout)
                            : parsed.status();
  if (!status.ok()) Fail(s, status);
}

}  // namespace

void Notice(const ReplSession& s, const std::string& text) {
  std::cout << Paint(s, "! " + text, kRed) << "\n";
}

void UpdatePrompt(ReplSession& s) {
  s.prompt = s.peer.empty() ? s.user + "> " : s.user + " -> " + s.peer + "> ";
}

void ShowMessage(ReplSession& s, const client::ChatMessage& message) {
  std::cout << FormatMessage(message, s.options.json) << "\n";
  if (s.auto_read && message.sender() != s.user && InConversation(message, s.peer, s.user)) {
    if (auto target = ParseTarget(s.peer); target.ok()) MarkRead(s, *target);
  }
}

void HandleReplLine(ReplSession& s, const std::string& line, int shown_rows) {
  if (line.empty()) return;
  if (line[0] != '/') {
    if (s.peer.empty()) {
      return Notice(s, "who to? use /to PEER first, or /msg PEER TEXT (/help lists commands)");
    }
    return Send(s, s.peer, line, shown_rows);
  }
  std::istringstream in(line);
  std::string command, word;
  in >> command;
  if (command == "/quit" || command == "/exit") {
    s.quit = true;
  } else if (command == "/help") {
    std::cout << kHelp;
  } else if (command == "/conv") {
    ListConversations(s);
  } else if (command == "/history") {
    ShowHistory(s, in);
  } else if (command == "/read") {
    in >> word;
    if (word.empty()) word = s.peer;
    auto target = ParseTarget(word);
    if (word.empty() || !target.ok()) {
      return Notice(s, "usage: /read [TO] (default: the open conversation)");
    }
    MarkRead(s, *target);
  } else if (command == "/autoread") {
    in >> word;
    if (word != "on" && word != "off") {
      return Notice(
          s, std::string("usage: /autoread on|off (now ") + (s.auto_read ? "on" : "off") + ")");
    }
    s.auto_read = word == "on";
  } else if (command == "/to") {
    in >> word;
    OpenConversation(s, word);
  } else if (command == "/msg") {
    in >> word;
    std::string text;
    std::getline(in >> std::ws, text);
    if (word.empty() || text.empty()) {
      Notice(s, "usage: /msg PEER TEXT");
    } else {
      Send(s, word, text, shown_rows);
    }
  } else if (command == "/group") {
    RunGroupLine(s, in);
  } else if (command == "/desk") {
    RunDeskLine(s, in);
  } else if (IsRelationGroup(command.substr(1))) {
    RunRelationLine(s, command.substr(1), in);
  } else {
    Notice(s, "unknown command " + command + " (/help lists commands)");
  }
}

}  // namespace im::cli
