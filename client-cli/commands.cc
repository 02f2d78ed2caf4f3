#include "client-cli/commands.h"

#include <termios.h>
#include <unistd.h>

#include <functional>
#include <iostream>
#include <memory>
#include <thread>

#include "client-cli/cli_output.h"
#include "client-cli/desk_commands.h"
#include "client-cli/group_commands.h"
#include "client-cli/inbox.h"
#include "client-cli/login.h"
#include "client-cli/reconnect_backoff.h"
#include "client-cli/relation_commands.h"
#include "client-cli/target.h"

namespace im::cli {
namespace {

using std::chrono::milliseconds;

constexpr int kSendAttempts = 3;

// False (and says so) if no user was given with --user or $IM_USER.
bool HasUser(const CliOptions& options) {
  if (!options.user.empty()) return true;
  std::cerr << "im-cli: no user given: use --user NAME or set IM_USER\n";
  return false;
}

}  // namespace

int ReportError(const absl::Status& status) {
  std::cerr << "im-cli: " << status.message() << "\n";
  return ExitCodeFor(status);
}

int ReportUsage(const absl::Status& status) {
  std::cerr << "im-cli: " << status.message() << "\n";
  return kExitUsage;
}

absl::StatusOr<std::string> ResolvePassword(const CliOptions& options, const std::string& prompt) {
  if (options.password) return *options.password;
  std::string password;
  if (isatty(STDIN_FILENO)) {
    std::cerr << prompt << std::flush;
    termios old_mode{};
    tcgetattr(STDIN_FILENO, &old_mode);
    termios silent = old_mode;
    silent.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &silent);
    std::getline(std::cin, password);
    tcsetattr(STDIN_FILENO, TCSANOW, &old_mode);
    std::cerr << "\n";
  } else if (!std::getline(std::cin, password)) {
    return absl::InvalidArgumentError(
        "no password given: use --password, set IM_PASSWORD or type it when asked");
  }
  return password;
}

int RunRegister(const CliOptions& options) {
  if (options.args.size() != 1) {
    std::cerr << "im-cli: usage: im-cli register NAME\n";
    return kExitUsage;
  }
  const std::string& name = options.args[0];
  auto password = ResolvePassword(options, "Password for new user " + name + ": ");
  if (!password.ok()) return ReportError(password.status());
  auto client = ImClient::Connect(options.server, options.tls);
  if (!client.ok()) return ReportError(client.status());
  auto registered = (*client)->Register(name, *password);
  if (!registered.ok()) return ReportError(registered.status());
  if (options.json) {
    std::cout << "{\"type\":\"registered\",\"user\":" << JsonString(name)
              << ",\"user_id\":" << registered->user_id() << "}\n";
  } else {
    std::cout << "registered " << name << " (user id " << registered->user_id() << ")\n";
  }
  return kExitOk;
}

int RunSend(const CliOptions& options) {
  const bool typed = !options.kind.empty() && options.kind != "text";
  if (typed ? (options.args.size() != 1 || options.payload.empty()) : options.args.size() < 2) {
    std::cerr << "im-cli: usage: im-cli send TO TEXT...  or  im-cli send TO --kind KIND "
                 "--payload JSON  (TO: a user, or g:ID for a group)\n";
    return kExitUsage;
  }
  auto target = ParseTarget(options.args[0]);
  if (!target.ok()) return ReportUsage(target.status());
  if (!HasUser(options)) return kExitUsage;
  Login login(options);
  const std::string peer = TargetName(*target);
  std::string text;
  for (std::size_t i = 1; i < options.args.size(); ++i)
    text += (i > 1 ? " " : "") + options.args[i];
  client::ClientFrame request;
  auto* send = request.mutable_send_message();
  SetTarget(*target, send);
  send->set_text(text);
  send->set_kind(options.kind);
  send->set_payload(options.payload);
  // The same client id on every attempt: a resend after a lost response
  // returns the stored original instead of storing the message twice.
  send->set_client_msg_id(options.client_id.empty() ? NewClientMessageId() : options.client_id);

  absl::Status last;
  for (int attempt = 1; attempt <= kSendAttempts; ++attempt) {
    auto client = login.Connect();
    if (!client.ok()) {
      last = client.status();
    } else {
      auto sent = (*client)->Request(request);
      if (sent.ok()) {
        std::cout << FormatSent(peer, sent->send_message(), options.json) << "\n";
        login.Finish(**client);
        return kExitOk;
      }
      last = sent.status();
    }
    if (ExitCodeFor(last) != kExitUnavailable) break;  // refused: retrying will not help
    std::this_thread::sleep_for(milliseconds(500 * attempt));
  }
  return ReportError(last);
}

int WithLogin(const CliOptions& options,
              const std::function<absl::Status(ImClient&, const std::string& user)>& body) {
  if (!HasUser(options)) return kExitUsage;
  Login login(options);
  auto client = login.Connect();
  if (!client.ok()) return ReportError(client.status());
  absl::Status status = body(**client, options.user);
  login.Finish(**client);
  return status.ok() ? kExitOk : ReportError(status);
}

namespace {

// What a listen has done so far, across reconnects.
struct ListenProgress {
  long received = 0;      // toward --count
  bool counting = false;  // missed messages count only with --include-missed
  std::chrono::steady_clock::time_point deadline;
};

// One connection's part of a listen: catches up on what the device missed,
// then prints events until --count is reached or the deadline passes (OK).
// UNAVAILABLE: the connection ended or the server asked the client to come
// back (reconnect); FAILED_PRECONDITION: the device was taken over.
absl::Status ListenOn(const CliOptions& options, ImClient& client, Inbox& inbox,
                      const std::string& user, ListenProgress& progress, bool first) {
  client.StartHeartbeat();
  if (absl::Status s = inbox.CatchUp(); !s.ok()) return s;  // what arrived while away
  progress.counting = true;
  if (first) std::cerr << "listening as " << user << " (Ctrl-C to stop)" << std::endl;
  while (!options.count || progress.received < *options.count) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= progress.deadline) break;
    const auto wait = std::min<milliseconds>(
        milliseconds(1000), std::chrono::duration_cast<milliseconds>(progress.deadline - now));
    auto event = client.NextEvent(wait);
    if (event.status().code() == absl::StatusCode::kDeadlineExceeded) continue;
    if (!event.ok()) {
      absl::Status why = client.close_status();
      return absl::UnavailableError(why.ok() ? std::string("connection to the server lost")
                                             : "disconnected by the server: " +
                                                   std::string(why.message()));
    }
    if (event->has_kick()) {
      const std::string why = "disconnected: " + event->kick().reason();
      return event->kick().reconnect() ? absl::UnavailableError(why)
                                       : absl::FailedPreconditionError(why);
    }
    if (event->has_message() || event->has_notice()) {
      if (absl::Status s = inbox.Handle(*event); !s.ok()) return s;
    } else if (event->has_friend_event()) {
      std::cout << FormatFriendEvent(event->friend_event(), user, options.json) << std::endl;
    } else if (event->has_read_receipt()) {
      std::cout << FormatReadReceipt(event->read_receipt(), options.json) << std::endl;
    } else if (event->has_recalled()) {
      std::cout << FormatRecall(event->recalled(), options.json) << std::endl;
    } else if (event->has_typing_event()) {
      std::cout << FormatTyping(event->typing_event(), options.json) << std::endl;
    } else if (event->has_desk_event()) {
      std::cout << FormatDeskEvent(event->desk_event(), options.json) << std::endl;
    }
  }
  return absl::OkStatus();
}

}  // namespace

// Listens across connections: when one ends (a restarted or draining access
// node), reconnects with jittered back-off (0.5 s doubling to 8 s), trying
// the --server addresses in turn, and goes on where it was: the inbox keeps
// what was printed, so nothing is printed twice and nothing missed is skipped.
int RunListen(const CliOptions& options) {
  if (!options.args.empty()) {
    std::cerr
        << "im-cli: usage: im-cli listen [--count N] [--timeout SECONDS] [--include-missed]\n";
    return kExitUsage;
  }
  if (!HasUser(options)) return kExitUsage;
  Login login(options);

  ListenProgress progress;
  progress.counting = options.include_missed;
  progress.deadline = options.timeout_s
                          ? std::chrono::steady_clock::now() +
                                milliseconds(static_cast<long>(*options.timeout_s * 1000))
                          : std::chrono::steady_clock::time_point::max();
  std::unique_ptr<Inbox> inbox;
  std::unique_ptr<ImClient> current;
  ReconnectBackoff backoff;
  bool lost = false;
  for (;;) {
    auto client = login.Connect();
    if (!client.ok() && (!lost || client.status().code() != absl::StatusCode::kUnavailable)) {
      return ReportError(client.status());
    }
    if (client.ok()) {
      current = std::move(*client);
      if (inbox == nullptr) {
        inbox = std::make_unique<Inbox>(current.get(), [&](const client::ChatMessage& m) {
          std::cout << FormatMessage(m, options.json) << std::endl;
          if (progress.counting) ++progress.received;
        });
      } else {
        inbox->Rebind(current.get());
        std::cerr << "reconnected" << std::endl;
        backoff.Reset();
      }
      const absl::Status status =
          ListenOn(options, *current, *inbox, options.user, progress, !lost);
      if (status.code() != absl::StatusCode::kUnavailable) {
        if (!status.ok()) return ReportError(status);
        login.Finish(*current);
        break;
      }
      std::cerr << status.message() << "; reconnecting" << std::endl;
      lost = true;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= progress.deadline) break;
    std::this_thread::sleep_for(std::min<milliseconds>(
        backoff.Next(), std::chrono::duration_cast<milliseconds>(progress.deadline - now)));
  }
  if (options.count && progress.received < *options.count) {
    return ReportError(absl::DeadlineExceededError("timed out after " +
                                                   std::to_string(progress.received) + " of " +
                                                   std::to_string(*options.count) + " messages"));
  }
  return kExitOk;
}

int RunConversations(const CliOptions& options) {
  if (options.args != std::vector<std::string>{"list"}) {
    std::cerr << "im-cli: usage: im-cli conv list\n";
    return kExitUsage;
  }
  return WithLogin(options, [&](ImClient& client, const std::string&) -> absl::Status {
    client::ClientFrame request;
    request.mutable_conv_list();
    auto list = client.Request(std::move(request));
    if (!list.ok()) return list.status();
    if (list->conv_list().conversations().empty() && !options.json) {
      std::cout << "no conversations yet\n";
    }
    for (const auto& c : list->conv_list().conversations()) {
      std::cout << FormatConversation(c, options.json) << "\n";
    }
    return absl::OkStatus();
  });
}

int RunHistory(const CliOptions& options) {
  if (options.args.size() != 1) {
    std::cerr << "im-cli: usage: im-cli history TO [--before SEQ] [--limit N]\n";
    return kExitUsage;
  }
  auto target = ParseTarget(options.args[0]);
  if (!target.ok()) return ReportUsage(target.status());
  return WithLogin(options, [&](ImClient& client, const std::string&) -> absl::Status {
    client::ClientFrame request;
    SetTarget(*target, request.mutable_history());
    request.mutable_history()->set_before_seq(options.before);
    request.mutable_history()->set_limit(options.limit);
    auto history = client.Request(std::move(request));
    if (!history.ok()) return history.status();
    for (const auto& m : history->history().messages()) {
      std::cout << (options.json ? "" : "#" + std::to_string(m.seq()) + " ")
                << FormatMessage(m, options.json) << "\n";
    }
    return absl::OkStatus();
  });
}

int RunRead(const CliOptions& options) {
  if (options.args.size() != 1) {
    std::cerr << "im-cli: usage: im-cli read TO [--seq N]\n";
    return kExitUsage;
  }
  auto target = ParseTarget(options.args[0]);
  if (!target.ok()) return ReportUsage(target.status());
  return WithLogin(options, [&](ImClient& client, const std::string&) -> absl::Status {
    client::ClientFrame request;
    SetTarget(*target, request.mutable_mark_read());
    request.mutable_mark_read()->set_seq(options.seq);
    auto read = client.Request(std::move(request));
    if (!read.ok()) return read.status();
    if (options.json) {
      std::cout << "{\"type\":\"read\",\"conv_id\":" << read->mark_read().conv_id()
                << ",\"read_seq\":" << read->mark_read().read_seq() << "}\n";
    } else {
      std::cout << "read up to #" << read->mark_read().read_seq() << " with " << options.args[0]
                << "\n";
    }
    return absl::OkStatus();
  });
}

int RunRecall(const CliOptions& options) {
  char* end = nullptr;
  const std::uint64_t msg_id =
      options.args.size() == 1 ? std::strtoull(options.args[0].c_str(), &end, 10) : 0;
  if (msg_id == 0 || *end != '\0') {
    std::cerr << "im-cli: usage: im-cli recall MSG_ID\n";
    return kExitUsage;
  }
  return WithLogin(options, [&](ImClient& client, const std::string&) -> absl::Status {
    client::ClientFrame request;
    request.mutable_recall()->set_msg_id(msg_id);
    auto recalled = client.Request(std::move(request));
    if (!recalled.ok()) return recalled.status();
    std::cout << (options.json ? "{\"type\":\"recalled\",\"msg_id\":" + std::to_string(msg_id) + "}"
                               : "recalled message " + std::to_string(msg_id))
              << "\n";
    return absl::OkStatus();
  });
}

int RunGroup(const CliOptions& options) {
  auto command = ParseGroupCommand(
      options.args, GroupCommandOptions{options.minutes, options.after, options.limit});
  if (!command.ok()) {
    std::cerr << "im-cli: " << command.status().message();
    return kExitUsage;
  }
  return WithLogin(options, [&](ImClient& client, const std::string&) {
    return RunPrintedRequest(client, *command, options.json, std::cout);
  });
}

int RunDesk(const CliOptions& options) {
  auto command = ParseDeskCommand(options.args, options.limit);
  if (!command.ok()) {
    std::cerr << "im-cli: " << command.status().message();
    return kExitUsage;
  }
  return WithLogin(options, [&](ImClient& client, const std::string&) {
    return RunPrintedRequest(client, *command, options.json, std::cout);
  });
}

int RunRelation(const CliOptions& options) {
  auto command = ParseRelationCommand(options.command, options.args, options.note);
  if (!command.ok()) {
    std::cerr << "im-cli: " << command.status().message();
    return kExitUsage;
  }
  return WithLogin(options, [&](ImClient& client, const std::string&) {
    return RunPrintedRequest(client, *command, options.json, std::cout);
  });
}

}  // namespace im::cli
