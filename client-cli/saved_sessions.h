#pragma once
// The session tokens `im-cli login` keeps, so later commands log in without a
// password: one line "SERVER USER DEVICE TOKEN" per session in
// $XDG_CONFIG_HOME/im-cli/sessions (default ~/.config/im-cli/sessions), the
// file 0600 and its directory 0700, rewritten whole through a temporary file
// and rename. A token is bound to its server (the --server text), user and
// device. Fields never contain spaces (Save refuses those). Not thread-safe;
// two im-cli processes saving at once may lose one's line (it logs in with
// its password next time).

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace im::cli {

struct SavedSession {
  std::string server;
  std::string user;
  std::string device;
  std::string token;
};

class SavedSessions {
 public:
  // The file under $XDG_CONFIG_HOME or $HOME; empty path (nothing is kept)
  // if neither is set.
  SavedSessions();
  explicit SavedSessions(std::string path) : path_(std::move(path)) {}

  const std::string& path() const { return path_; }
  std::optional<std::string> Find(const std::string& server, const std::string& user,
                                  const std::string& device) const;
  // Every session of `user` on `server`.
  std::vector<SavedSession> ForUser(const std::string& server, const std::string& user) const;
  // Adds or replaces the session of (server, user, device).
  absl::Status Save(const SavedSession& session);
  // Forgets one device's session (device empty: every session of the user).
  absl::Status Remove(const std::string& server, const std::string& user,
                      const std::string& device = "");

 private:
  std::vector<SavedSession> Load() const;
  absl::Status Store(const std::vector<SavedSession>& sessions) const;

  std::string path_;
};

}  // namespace im::cli
