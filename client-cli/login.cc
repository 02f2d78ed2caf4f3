#include "client-cli/login.h"

#include "client-cli/commands.h"

namespace im::cli {

Login::Login(const CliOptions& options) : options_(options) {
  token_ = saved_.Find(options.server, options.user, options.device);
  if (options.password) password_ = *options.password;
}

absl::StatusOr<std::string> Login::Password() {
  if (!password_) {
    auto typed = ResolvePassword(options_, "Password for " + options_.user + ": ");
    if (!typed.ok()) return typed.status();
    password_ = *typed;
  }
  return *password_;
}

absl::StatusOr<std::unique_ptr<ImClient>> Login::Connect() {
  if (token_) {
    auto client = ImClient::Connect(options_.server, options_.tls);
    if (!client.ok()) return client.status();
    auto login = (*client)->LoginWithToken(options_.user, *token_, options_.device);
    if (login.ok()) return client;
    if (login.status().code() != absl::StatusCode::kUnauthenticated) return login.status();
    // Expired or revoked: forget it, and use the password.
    saved_.Remove(options_.server, options_.user, options_.device).IgnoreError();
    token_.reset();
  }
  auto password = Password();
  if (!password.ok()) return password.status();
  auto client = ImClient::Connect(options_.server, options_.tls);
  if (!client.ok()) return client.status();
  auto login = (*client)->Login(options_.user, *password, options_.device);
  if (!login.ok()) return login.status();
  made_.push_back(login->session_token());
  return client;
}

void Login::Finish(ImClient& client) {
  for (const auto& token : made_) client.Logout(token).IgnoreError();  // best effort
  made_.clear();
}

}  // namespace im::cli
