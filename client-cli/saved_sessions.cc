#include "client-cli/saved_sessions.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace im::cli {
namespace {

bool HasSpace(const std::string& field) {
  return field.empty() || field.find_first_of(" \t\r\n") != std::string::npos;
}

bool Same(const SavedSession& s, const std::string& server, const std::string& user,
          const std::string& device) {
  return s.server == server && s.user == user && (device.empty() || s.device == device);
}

}  // namespace

SavedSessions::SavedSessions() {
  std::filesystem::path dir;
  if (const char* config = std::getenv("XDG_CONFIG_HOME"); config && *config) {
    dir = config;
  } else if (const char* home = std::getenv("HOME"); home && *home) {
    dir = std::filesystem::path(home) / ".config";
  } else {
    return;
  }
  path_ = (dir / "im-cli" / "sessions").string();
}

std::vector<SavedSession> SavedSessions::Load() const {
  std::vector<SavedSession> sessions;
  if (path_.empty()) return sessions;
  std::ifstream in(path_);
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    SavedSession s;
    if (fields >> s.server >> s.user >> s.device >> s.token) sessions.push_back(std::move(s));
  }
  return sessions;
}

absl::Status SavedSessions::Store(const std::vector<SavedSession>& sessions) const {
  if (path_.empty())
    return absl::FailedPreconditionError("no HOME or XDG_CONFIG_HOME to keep it in");
  const std::filesystem::path file(path_);
  std::error_code error;
  std::filesystem::create_directories(file.parent_path(), error);
  if (error) return absl::InternalError("cannot create " + file.parent_path().string());
  chmod(file.parent_path().c_str(), 0700);
  const std::string temporary = path_ + ".tmp";
  const int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return absl::InternalError("cannot write " + temporary);
  std::string text;
  for (const auto& s : sessions) {
    text += s.server + " " + s.user + " " + s.device + " " + s.token + "\n";
  }
  const bool written = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const bool closed = close(fd) == 0;
  if (!written || !closed || std::rename(temporary.c_str(), path_.c_str()) != 0) {
    std::remove(temporary.c_str());
    return absl::InternalError("cannot write " + path_);
  }
  return absl::OkStatus();
}

std::optional<std::string> SavedSessions::Find(const std::string& server, const std::string& user,
                                               const std::string& device) const {
  for (const auto& s : Load()) {
    if (Same(s, server, user, device)) return s.token;
  }
  return std::nullopt;
}

std::vector<SavedSession> SavedSessions::ForUser(const std::string& server,
                                                 const std::string& user) const {
  std::vector<SavedSession> found;
  for (auto& s : Load()) {
    if (Same(s, server, user, "")) found.push_back(std::move(s));
  }
  return found;
}

absl::Status SavedSessions::Save(const SavedSession& session) {
  if (HasSpace(session.server) || HasSpace(session.user) || HasSpace(session.device) ||
      HasSpace(session.token)) {
    return absl::InvalidArgumentError("a server, user or device with spaces cannot be saved");
  }
  auto sessions = Load();
  std::erase_if(sessions, [&](const SavedSession& s) {
    return Same(s, session.server, session.user, session.device);
  });
  sessions.push_back(session);
  return Store(sessions);
}

absl::Status SavedSessions::Remove(const std::string& server, const std::string& user,
                                   const std::string& device) {
  auto sessions = Load();
  const auto removed =
      std::erase_if(sessions, [&](const SavedSession& s) { return Same(s, server, user, device); });
  if (removed == 0) return absl::OkStatus();
  return Store(sessions);
}

}  // namespace im::cli
