#pragma once
// The interactive im-cli's state, shared by its loop (repl.cc: login,
// events, reconnects) and its commands (repl_commands.cc: what a typed line
// does). Used from the REPL's one thread.

#include <memory>
#include <string>

#include "client-cli/cli_options.h"
#include "client-cli/im_client.h"
#include "client-cli/inbox.h"
#include "client-cli/login.h"

namespace im::cli {

struct ReplSession {
  CliOptions options;
  std::string user;
  std::unique_ptr<Login> login;  // the saved session or the password, for reconnects too
  std::unique_ptr<ImClient> client;
  std::unique_ptr<Inbox> inbox;  // messages in order, once, acked
  std::string peer;              // the open conversation ("bob" or "g:12"); empty: none
  bool auto_read = true;         // mark the open conversation read as its messages show
  bool terminal = false;         // stdout is a terminal (lines may be redrawn)
  bool colour = false;           // on a terminal, unless $NO_COLOR is set
  bool quit = false;
  bool line_done = false;  // a line was handled: reinstall the handler (new prompt)
  std::string prompt;
};

// Prints "! TEXT": a problem or a change of state (red, with colour).
void Notice(const ReplSession& s, const std::string& text);

// "alice> " or "alice -> bob> ".
void UpdatePrompt(ReplSession& s);
// What a typed line does: a message to the open conversation, or a /command.
// `shown_rows` is how many terminal rows the prompt and the line took (a sent
// line is replaced by the acknowledged message).
void HandleReplLine(ReplSession& s, const std::string& line, int shown_rows);
// Prints a message the inbox delivered, and marks it read when it belongs to
// the open conversation (with auto_read).
void ShowMessage(ReplSession& s, const client::ChatMessage& message);

}  // namespace im::cli
