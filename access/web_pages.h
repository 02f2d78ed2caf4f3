#pragma once
// The files of a web client: an HTML page and what it loads, read once at
// start-up from the `web_root` directory and served on the WebSocket port
// to plain GET requests, so that a browser gets the page and its WebSocket
// from one origin (one certificate, no cross-origin rules). Only regular
// files directly in the directory are served, by exact name ("/" is
// index.html); nothing is read from disk after start-up, so no request can
// reach another file. Immutable after Load: shared by every io thread.

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace im::access {

class WebPages {
 public:
  struct File {
    std::string content_type;
    std::string body;
  };
  static constexpr std::size_t kMaxTotalBytes = 16 << 20;

  // Reads every regular file directly in `dir`. INVALID_ARGUMENT naming the
  // problem if the directory cannot be read, has no index.html, or holds
  // more than kMaxTotalBytes.
  static absl::StatusOr<std::unique_ptr<const WebPages>> Load(const std::string& dir);

  // The file for a request path ("/", "/app.js"; a query is ignored), or null.
  const File* Find(std::string_view path) const;
  std::size_t file_count() const { return files_.size(); }

 private:
  WebPages() = default;
  std::map<std::string, File, std::less<>> files_;  // "/name" -> file
};

}  // namespace im::access
