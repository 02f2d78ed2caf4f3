#include "client-cli/commands.h"

#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <thread>
#include <variant>

#include "client-cli/cli_output.h"
#include "client-cli/relation_commands.h"

namespace im::cli {
namespace {

using std::chrono::milliseconds;

constexpr int kSendAttempts = 3;

struct Credentials {
  std::string user;
  std::string password;
};

// The user from --user/$IM_USER and their password; on failure the exit code.
std::variant<Credentials, int> RequireCredentials(const CliOptions& options) {
  if (options.user.empty()) {
    std::cerr << "im-cli: no user given: use --user NAME or set IM_USER\n";
    return kExitUsage;
  }
  auto password = ResolvePassword(options, "Password for " + options.user + ": ");
  if (!password.ok()) return ReportError(password.status());
  return Credentials{options.user, *password};
}

}  // namespace

int ReportError(const absl::Status& status) {
  std::cerr << "im-cli: " << status.message() << "\n";
  return ExitCodeFor(status);
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

absl::StatusOr<std::unique_ptr<ImClient>> ConnectAndLogin(const CliOptions& options,
                                                          const std::string& user,
                                                          const std::string& password) {
  auto client = ImClient::Connect(options.server);
  if (!client.ok()) return client.status();
  auto login = (*client)->Login(user, password, options.device);
  if (!login.ok()) return login.status();
  return client;
}

int RunRegister(const CliOptions& options) {
  if (options.args.size() != 1) {
    std::cerr << "im-cli: usage: im-cli register NAME\n";
    return kExitUsage;
  }
  const std::string& name = options.args[0];
  auto password = ResolvePassword(options, "Password for new user " + name + ": ");
  if (!password.ok()) return ReportError(password.status());
  auto client = ImClient::Connect(options.server);
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
  if (options.args.size() < 2) {
    std::cerr << "im-cli: usage: im-cli send PEER TEXT...\n";
    return kExitUsage;
  }
  auto credentials = RequireCredentials(options);
  if (auto* code = std::get_if<int>(&credentials)) return *code;
  const auto& [user, password] = std::get<Credentials>(credentials);
  const std::string& peer = options.args[0];
  std::string text = options.args[1];
  for (std::size_t i = 2; i < options.args.size(); ++i) text += " " + options.args[i];
  // The same client id on every attempt: a resend after a lost response
  // returns the stored original instead of storing the message twice.
  const std::string client_id = options.client_id.empty() ? NewClientMessageId() : options.client_id;

  absl::Status last;
  for (int attempt = 1; attempt <= kSendAttempts; ++attempt) {
    auto client = ConnectAndLogin(options, user, password);
    if (!client.ok()) {
      last = client.status();
    } else {
      auto sent = (*client)->SendText(peer, text, client_id);
      if (sent.ok()) {
        std::cout << FormatSent(peer, *sent, options.json) << "\n";
        return kExitOk;
      }
      last = sent.status();
    }
    if (ExitCodeFor(last) != kExitUnavailable) break;  // refused: retrying will not help
    std::this_thread::sleep_for(milliseconds(500 * attempt));
  }
  return ReportError(last);
}

int RunListen(const CliOptions& options) {
  if (!options.args.empty()) {
    std::cerr << "im-cli: usage: im-cli listen [--count N] [--timeout SECONDS]\n";
    return kExitUsage;
  }
  auto credentials = RequireCredentials(options);
  if (auto* code = std::get_if<int>(&credentials)) return *code;
  const auto& [user, password] = std::get<Credentials>(credentials);
  auto client = ConnectAndLogin(options, user, password);
  if (!client.ok()) return ReportError(client.status());
  (*client)->StartHeartbeat(milliseconds(20000));
  std::cerr << "listening as " << user << " (Ctrl-C to stop)" << std::endl;

  const auto deadline =
      options.timeout_s ? std::chrono::steady_clock::now() +
                              milliseconds(static_cast<long>(*options.timeout_s * 1000))
                        : std::chrono::steady_clock::time_point::max();
  long received = 0;
  while (!options.count || received < *options.count) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    const auto wait = std::min<milliseconds>(
        milliseconds(1000), std::chrono::duration_cast<milliseconds>(deadline - now));
    auto event = (*client)->NextEvent(wait);
    if (event.status().code() == absl::StatusCode::kDeadlineExceeded) continue;
    if (!event.ok()) {
      absl::Status why = (*client)->close_status();
      return ReportError(why.ok() ? absl::UnavailableError("connection to the server lost")
                                  : absl::UnavailableError(std::string(
                                        "disconnected by the server: ") + std::string(why.message())));
    }
    if (event->has_kick()) {
      return ReportError(absl::UnavailableError("disconnected: " + event->kick().reason()));
    }
    if (event->has_message()) {
      std::cout << FormatMessage(event->message(), options.json) << std::endl;
      ++received;
    } else if (event->has_friend_event()) {
      std::cout << FormatFriendEvent(event->friend_event(), user, options.json) << std::endl;
    }
  }
  if (options.count && received < *options.count) {
    return ReportError(absl::DeadlineExceededError(
        "timed out after " + std::to_string(received) + " of " + std::to_string(*options.count) +
        " messages"));
  }
  return kExitOk;
}

int RunRelation(const CliOptions& options) {
  auto command = ParseRelationCommand(options.command, options.args, options.note);
  if (!command.ok()) {
    std::cerr << "im-cli: " << command.status().message();
    return kExitUsage;
  }
  auto credentials = RequireCredentials(options);
  if (auto* code = std::get_if<int>(&credentials)) return *code;
  const auto& [user, password] = std::get<Credentials>(credentials);
  auto client = ConnectAndLogin(options, user, password);
  if (!client.ok()) return ReportError(client.status());
  absl::Status status = RunRelationCommand(**client, *command, options.json, std::cout);
  return status.ok() ? kExitOk : ReportError(status);
}

}  // namespace im::cli
