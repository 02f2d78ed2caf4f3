#include "client-cli/repl.h"

#include <editline/readline.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <thread>

#include "client-cli/cli_output.h"
#include "client-cli/desk_commands.h"
#include "client-cli/commands.h"
#include "client-cli/reconnect_backoff.h"
#include "client-cli/relation_commands.h"
#include "client-cli/repl_session.h"

namespace im::cli {
namespace {

using std::chrono::milliseconds;

ReplSession* g_session = nullptr;  // for libedit's line callback (a C function pointer)

// Terminal rows the prompt and `line` took as typed (at least one).
int RowsShown(const ReplSession& s, const std::string& line) {
  winsize size{};
  if (!s.terminal || ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) != 0 || size.ws_col == 0) return 1;
  return static_cast<int>((s.prompt.size() + line.size()) / size.ws_col) + 1;
}

void OnLine(char* raw) {
  ReplSession& s = *g_session;
  s.line_done = true;
  if (raw == nullptr) {  // Ctrl-D
    s.quit = true;
    std::cout << "\n";
    return;
  }
  std::string line(raw);
  std::free(raw);
  if (!line.empty()) add_history(line.c_str());
  HandleReplLine(s, line, RowsShown(s, line));
}

// What became of the connection while events were printed.
enum class Link {
  kUp,
  kLost,   // it ended, or the server asked the client to come back: reconnect
  kEnded,  // the device was taken over elsewhere: stop
};

// Prints the frames that arrived.
Link PrintEvents(ReplSession& s) {
  for (;;) {
    auto event = s.client->NextEvent(milliseconds(0));
    if (event.status().code() == absl::StatusCode::kDeadlineExceeded) return Link::kUp;
    if (!event.ok()) {
      absl::Status why = s.client->close_status();
      std::cout << "\r\033[K";
      Notice(s, "connection lost" + std::string(why.ok() ? "" : ": ") + std::string(why.message()) +
                    "; reconnecting");
      return Link::kLost;
    }
    std::cout << "\r\033[K";  // clear the prompt line, print, redraw below
    if (event->has_message() || event->has_notice()) {
      if (absl::Status st = s.inbox->Handle(*event); !st.ok()) {
        Notice(s, "could not sync: " + std::string(st.message()));
      }
    } else if (event->has_read_receipt()) {
      std::cout << FormatReadReceipt(event->read_receipt(), s.options.json) << "\n";
    } else if (event->has_recalled()) {
      std::cout << FormatRecall(event->recalled(), s.options.json) << "\n";
    } else if (event->has_typing_event()) {
      std::cout << FormatTyping(event->typing_event(), s.options.json) << "\n";
    } else if (event->has_friend_event()) {
      std::cout << FormatFriendEvent(event->friend_event(), s.user, s.options.json) << "\n";
    } else if (event->has_desk_event()) {
      std::cout << FormatDeskEvent(event->desk_event(), s.options.json) << "\n";
    } else if (event->has_kick()) {
      Notice(s, "disconnected: " + event->kick().reason() +
                    (event->kick().reconnect() ? "; reconnecting" : ""));
      return event->kick().reconnect() ? Link::kLost : Link::kEnded;
    }
    std::cout.flush();
    rl_forced_update_display();
  }
}

// One line per conversation with unread messages.
void PrintUnread(ReplSession& s) {
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

// Registers s.user after asking; a typed password is asked for twice.
absl::Status OfferToRegister(ReplSession& s) {
  std::cout << "wrong username or password. If " << s.user
            << " is a new account, register it now? [y/N] " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer) || (answer != "y" && answer != "Y" && answer != "yes")) {
    return absl::UnauthenticatedError("wrong username or password; nothing was registered");
  }
  auto password = s.login->Password();
  if (!password.ok()) return password.status();
  if (!s.options.password) {  // typed, not from --password or IM_PASSWORD
    auto again = ResolvePassword(s.options, "the same password again: ");
    if (!again.ok()) return again.status();
    if (*again != *password) {
      return absl::InvalidArgumentError("the passwords differ; nothing was registered");
    }
  }
  auto client = ImClient::Connect(s.options.server, s.options.tls);
  if (!client.ok()) return client.status();
  return (*client)->Register(s.user, *password).status();
}

// Logs in, offering to register the name if the login is refused (the server
// does not say whether a name exists). Returns an exit code on failure.
int LogIn(ReplSession& s) {
  if (s.user.empty()) {
    std::cout << "user name: " << std::flush;
    if (!std::getline(std::cin, s.user) || s.user.empty()) return kExitUsage;
  }
  s.options.user = s.user;
  s.login = std::make_unique<Login>(s.options);
  auto client = s.login->Connect();
  if (client.status().code() == absl::StatusCode::kUnauthenticated) {
    if (absl::Status registered = OfferToRegister(s); !registered.ok()) {
      return ReportError(registered);
    }
    client = s.login->Connect();
  }
  if (!client.ok()) return ReportError(client.status());
  s.client = std::move(*client);
  std::cout << "logged in as " << s.user << " on " << s.options.server
            << ". /to PEER to start a chat, /help for commands.\n";
  PrintPendingRequests(*s.client, s.options.json, std::cout);
  PrintUnread(s);
  s.inbox = std::make_unique<Inbox>(s.client.get(),
                                    [&s](const client::ChatMessage& m) { ShowMessage(s, m); });
  if (absl::Status st = s.inbox->CatchUp(); !st.ok()) {
    Notice(s, "could not sync: " + std::string(st.message()));
  }
  return kExitOk;
}

// Heartbeats, and a byte on `wake_fd` whenever a frame arrives.
void Watch(ImClient& client, int wake_fd) {
  client.StartHeartbeat();
  client.SetEventNotifier([wake_fd] {
    const char byte = 1;
    [[maybe_unused]] auto n = write(wake_fd, &byte, 1);
  });
}

// After the connection was lost: logs in again with jittered back-off (the
// --server addresses in turn) and catches up on what arrived meanwhile.
// False if the server refused the login (the password changed, say).
bool Reconnect(ReplSession& s, int wake_fd) {
  s.client->SetEventNotifier(nullptr);
  ReconnectBackoff backoff;
  for (;;) {
    std::this_thread::sleep_for(backoff.Next());
    auto client = s.login->Connect();
    if (!client.ok()) {
      if (ExitCodeFor(client.status()) == kExitUnavailable) continue;
      Notice(s, "could not log in again: " + std::string(client.status().message()));
      return false;
    }
    s.client = std::move(*client);
    s.inbox->Rebind(s.client.get());
    Watch(*s.client, wake_fd);
    Notice(s, "reconnected");
    if (absl::Status st = s.inbox->CatchUp(); !st.ok()) {
      Notice(s, "could not sync: " + std::string(st.message()));
    }
    return true;
  }
}

// Line history per user: $XDG_STATE_HOME/im-cli/history-USER (default
// ~/.local/state); empty if there is no home.
std::string HistoryFile(const std::string& user) {
  std::filesystem::path dir;
  if (const char* state = std::getenv("XDG_STATE_HOME"); state && *state) {
    dir = state;
  } else if (const char* home = std::getenv("HOME"); home && *home) {
    dir = std::filesystem::path(home) / ".local" / "state";
  } else {
    return "";
  }
  dir /= "im-cli";
  std::error_code ignored;
  std::filesystem::create_directories(dir, ignored);
  return (dir / ("history-" + user)).string();
}

}  // namespace

int RunRepl(const CliOptions& options) {
  ReplSession s;
  s.options = options;
  s.user = options.user;
  s.terminal = isatty(STDOUT_FILENO) != 0;
  const char* no_colour = std::getenv("NO_COLOR");  // https://no-color.org
  s.colour = s.terminal && (no_colour == nullptr || *no_colour == '\0');
  if (int code = LogIn(s); code != kExitOk) return code;

  int wake[2];
  if (pipe(wake) != 0) return ReportError(absl::InternalError("pipe failed"));
  Watch(*s.client, wake[1]);

  const std::string history = HistoryFile(s.user);
  if (!history.empty()) read_history(history.c_str());
  g_session = &s;
  UpdatePrompt(s);
  rl_callback_handler_install(s.prompt.c_str(), OnLine);
  Link link = PrintEvents(s);
  while (!s.quit && link != Link::kEnded) {
    if (link == Link::kLost) {
      if (!Reconnect(s, wake[1])) break;
      link = PrintEvents(s);
      rl_forced_update_display();
      continue;
    }
    pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {wake[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents & POLLIN) {
      char drain[64];
      [[maybe_unused]] auto n = read(wake[0], drain, sizeof drain);
      link = PrintEvents(s);
    }
    if (link == Link::kUp && (fds[0].revents & (POLLIN | POLLHUP))) {
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
  if (s.client->connected()) s.login->Finish(*s.client);
  close(wake[0]);
  close(wake[1]);
  return s.quit ? kExitOk : kExitUnavailable;
}

}  // namespace im::cli
