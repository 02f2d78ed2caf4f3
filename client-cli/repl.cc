#include "client-cli/repl.h"

#include <editline/readline.h>
#include <poll.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <sstream>

#include "client-cli/cli_output.h"
#include "client-cli/commands.h"
#include "client-cli/group_commands.h"
#include "client-cli/inbox.h"
#include "client-cli/relation_commands.h"
#include "client-cli/target.h"

namespace im::cli {
namespace {

using std::chrono::milliseconds;

constexpr char kHelp[] =
    "Commands:\n"
    "  /to TO            talk to TO (a user, or g:ID for a group): plain lines go there\n"
    "  /msg TO TEXT      send one message to TO\n"
    "  /friend ...       request PEER [note] | accept PEER | decline PEER | cancel PEER |\n"
    "                    remove PEER | list | pending\n"
    "  /block ...        add PEER | remove PEER | list\n"
    "  /privacy set messages everyone|friends\n"
    "  /group ...        create NAME [MEMBER...] | list | invite G USER... | kick G USER |\n"
    "                    leave G | dissolve G | info G | members G | rename G NAME |\n"
    "                    announce G TEXT | role G USER admin|member | transfer G USER |\n"
    "                    mute G USER [--minutes N] | unmute G USER | mute-all G on|off\n"
    "  /conv             conversations with unread counts\n"
    "  /read [TO]        mark the conversation read (default: the current one)\n"
    "  /help             this list\n"
    "  /quit             leave (Ctrl-D works too)\n";

// State shared with libedit's line callback (a C function pointer).
struct Session {
  CliOptions options;
  std::string user;
  std::unique_ptr<ImClient> client;
  std::unique_ptr<Inbox> inbox;  // messages in order, once, acked
  std::string peer;
  bool quit = false;
  bool line_done = false;  // a line was handled: reinstall the handler (new prompt)
  std::string prompt;
};
Session* g_session = nullptr;

void UpdatePrompt(Session& s) {
  s.prompt = s.peer.empty() ? s.user + "> " : s.user + " -> " + s.peer + "> ";
}

void Send(Session& s, const std::string& peer, const std::string& text) {
  auto target = ParseTarget(peer);
  if (!target.ok()) {
    std::cout << "! " << target.status().message() << "\n";
    return;
  }
  auto sent = target->group_id != 0 ? s.client->SendGroupText(target->group_id, text)
                                    : s.client->SendText(peer, text);
  if (!sent.ok()) {
    std::cout << "! not sent: " << sent.status().message() << "\n";
    return;
  }
  s.inbox->NoteOwnSend(*sent);
  if (s.options.json) std::cout << FormatSent(peer, *sent, true) << "\n";
}

// "/group VERB ARGS... [--minutes N] [--after ID] [--limit N]".
void RunGroupLine(Session& s, std::istringstream& in) {
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
  absl::Status status = parsed.ok() ? RunGroupCommand(*s.client, *parsed, s.options.json, std::cout)
                                    : parsed.status();
  if (!status.ok()) std::cout << "! " << status.message() << "\n";
}

void HandleLine(Session& s, const std::string& line) {
  if (line.empty()) return;
  if (line[0] != '/') {
    if (s.peer.empty()) {
      std::cout << "! who to? use /to PEER first, or /msg PEER TEXT (/help lists commands)\n";
      return;
    }
    return Send(s, s.peer, line);
  }
  std::istringstream in(line);
  std::string command, peer;
  in >> command;
  if (command == "/quit" || command == "/exit") {
    s.quit = true;
  } else if (command == "/help") {
    std::cout << kHelp;
  } else if (command == "/conv") {
    client::ClientFrame request;
    request.mutable_conv_list();
    auto list = s.client->Request(std::move(request));
    if (!list.ok()) {
      std::cout << "! " << list.status().message() << "\n";
      return;
    }
    for (const auto& c : list->conv_list().conversations()) {
      std::cout << FormatConversation(c, s.options.json) << "\n";
    }
  } else if (command == "/read") {
    in >> peer;
    if (peer.empty()) peer = s.peer;
    auto target = ParseTarget(peer);
    if (!target.ok()) {
      std::cout << "! " << target.status().message() << "\n";
      return;
    }
    client::ClientFrame request;
    SetTarget(*target, request.mutable_mark_read());
    auto read = s.client->Request(std::move(request));
    if (!read.ok()) std::cout << "! " << read.status().message() << "\n";
  } else if (command == "/to") {
    in >> s.peer;
    UpdatePrompt(s);
  } else if (command == "/msg") {
    in >> peer;
    std::string text;
    std::getline(in >> std::ws, text);
    if (peer.empty() || text.empty()) {
      std::cout << "! usage: /msg PEER TEXT\n";
    } else {
      Send(s, peer, text);
    }
  } else if (command == "/group") {
    RunGroupLine(s, in);
  } else if (IsRelationGroup(command.substr(1))) {
    std::vector<std::string> args;
    for (std::string word; in >> word;) args.push_back(word);
    std::string note;
    // "/friend request PEER some words": the words are the note.
    if (args.size() > 2 && args[0] == "request") {
      const std::size_t first = args[2] == "--note" ? 3 : 2;
      for (std::size_t i = first; i < args.size(); ++i) note += (i > first ? " " : "") + args[i];
      args.resize(2);
    }
    auto parsed = ParseRelationCommand(command.substr(1), args, note);
    absl::Status status = parsed.ok()
                              ? RunRelationCommand(*s.client, *parsed, s.options.json, std::cout)
                              : parsed.status();
    if (!status.ok()) std::cout << "! " << status.message() << "\n";
  } else {
    std::cout << "! unknown command " << command << " (/help lists commands)\n";
  }
}

void OnLine(char* raw) {
  Session& s = *g_session;
  s.line_done = true;
  if (raw == nullptr) {  // Ctrl-D
    s.quit = true;
    std::cout << "\n";
    return;
  }
  std::string line(raw);
  std::free(raw);
  if (!line.empty()) add_history(line.c_str());
  HandleLine(s, line);
}

// Prints the frames that arrived; returns false when the connection is gone.
bool PrintEvents(Session& s) {
  for (;;) {
    auto event = s.client->NextEvent(milliseconds(0));
    if (event.status().code() == absl::StatusCode::kDeadlineExceeded) return true;
    if (!event.ok()) {
      absl::Status why = s.client->close_status();
      std::cout << "\r! disconnected" << (why.ok() ? "" : ": ") << why.message() << "\n";
      return false;
    }
    std::cout << "\r\033[K";  // clear the prompt line, print, redraw below
    if (event->has_message() || event->has_notice()) {
      if (absl::Status st = s.inbox->Handle(*event); !st.ok()) {
        std::cout << "! could not sync: " << st.message() << "\n";
      }
    } else if (event->has_read_receipt()) {
      std::cout << FormatReadReceipt(event->read_receipt(), s.options.json) << "\n";
    } else if (event->has_recalled()) {
      std::cout << FormatRecall(event->recalled(), s.options.json) << "\n";
    } else if (event->has_typing_event()) {
      std::cout << FormatTyping(event->typing_event(), s.options.json) << "\n";
    } else if (event->has_friend_event()) {
      std::cout << FormatFriendEvent(event->friend_event(), s.user, s.options.json) << "\n";
    } else if (event->has_kick()) {
      std::cout << "! disconnected: " << event->kick().reason() << "\n";
    }
    std::cout.flush();
    rl_forced_update_display();
  }
}

// One line per conversation with unread messages.
void PrintUnread(Session& s) {
  client::ClientFrame request;
  request.mutable_conv_list();
  auto list = s.client->Request(std::move(request));
  if (!list.ok()) return;
  for (const auto& c : list->conv_list().conversations()) {
    if (c.unread() == 0) continue;
    std::cout << "* " << c.unread() << " unread "
              << (c.group_id() != 0 ? "in g:" + std::to_string(c.group_id()) + " " + c.group_name()
                                    : "from " + c.peer())
              << "\n";
  }
}

// Logs in, offering to register an unknown name. Returns an exit code on failure.
int LogIn(Session& s) {
  if (s.user.empty()) {
    std::cout << "user name: " << std::flush;
    if (!std::getline(std::cin, s.user) || s.user.empty()) return kExitUsage;
  }
  auto password = ResolvePassword(s.options, "password for " + s.user + ": ");
  if (!password.ok()) return ReportError(password.status());
  auto client = ImClient::Connect(s.options.server);
  if (!client.ok()) return ReportError(client.status());
  auto login = (*client)->Login(s.user, *password, s.options.device);
  if (login.status().code() == absl::StatusCode::kNotFound) {
    std::cout << "user " << s.user << " does not exist. Register it now? [y/N] " << std::flush;
    std::string answer;
    if (!std::getline(std::cin, answer) || (answer != "y" && answer != "Y" && answer != "yes")) {
      return kExitRefused;
    }
    auto registered = (*client)->Register(s.user, *password);
    if (!registered.ok()) return ReportError(registered.status());
    login = (*client)->Login(s.user, *password, s.options.device);
  }
  if (!login.ok()) return ReportError(login.status());
  s.client = std::move(*client);
  std::cout << "logged in as " << s.user << " on " << s.options.server
            << ". /to PEER to start a chat, /help for commands.\n";
  PrintPendingRequests(*s.client, s.options.json, std::cout);
  PrintUnread(s);
  s.inbox = std::make_unique<Inbox>(s.client.get(), [&s](const client::ChatMessage& m) {
    std::cout << FormatMessage(m, s.options.json) << "\n";
  });
  if (absl::Status st = s.inbox->CatchUp(); !st.ok()) {
    std::cout << "! could not sync: " << st.message() << "\n";
  }
  return kExitOk;
}

}  // namespace

int RunRepl(const CliOptions& options) {
  Session s;
  s.options = options;
  s.user = options.user;
  if (int code = LogIn(s); code != kExitOk) return code;
  s.client->StartHeartbeat();

  int wake[2];
  if (pipe(wake) != 0) return ReportError(absl::InternalError("pipe failed"));
  s.client->SetEventNotifier([fd = wake[1]] {
    const char byte = 1;
    [[maybe_unused]] auto n = write(fd, &byte, 1);
  });

  const char* home = std::getenv("HOME");
  const std::string history = home ? std::string(home) + "/.im_cli_history" : "";
  if (!history.empty()) read_history(history.c_str());
  g_session = &s;
  UpdatePrompt(s);
  rl_callback_handler_install(s.prompt.c_str(), OnLine);
  bool connected = PrintEvents(s);
  while (!s.quit && connected) {
    pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {wake[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents & POLLIN) {
      char drain[64];
      [[maybe_unused]] auto n = read(wake[0], drain, sizeof drain);
      connected = PrintEvents(s);
    }
    if (fds[0].revents & (POLLIN | POLLHUP)) {
      rl_callback_read_char();
      if (s.line_done && !s.quit) {
        s.line_done = false;
        rl_callback_handler_install(s.prompt.c_str(), OnLine);
      }
    }
  }
  rl_callback_handler_remove();
  if (!history.empty()) write_history(history.c_str());
  g_session = nullptr;
  s.client->SetEventNotifier(nullptr);
  close(wake[0]);
  close(wake[1]);
  return connected ? kExitOk : kExitUnavailable;
}

}  // namespace im::cli
