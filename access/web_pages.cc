#include "access/web_pages.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/str_cat.h"

namespace im::access {
namespace {

std::string ContentTypeOf(const std::filesystem::path& file) {
  static const std::map<std::string, std::string, std::less<>> kTypes = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".proto", "text/plain; charset=utf-8"},
      {".txt", "text/plain; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
  };
  const auto found = kTypes.find(file.extension().string());
  return found == kTypes.end() ? "application/octet-stream" : found->second;
}

}  // namespace

absl::StatusOr<std::unique_ptr<const WebPages>> WebPages::Load(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::directory_iterator entries(dir, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        common::StrCat("web_root ", dir, " cannot be read: ", ec.message()));
  }
  std::unique_ptr<WebPages> pages(new WebPages());
  std::size_t total = 0;
  for (const fs::directory_entry& entry : entries) {
    if (!entry.is_regular_file(ec)) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream body;
    body << in.rdbuf();
    if (!in) {
      return absl::InvalidArgumentError(
          common::StrCat("web_root file ", entry.path().string(), " cannot be read"));
    }
    total += body.str().size();
    if (total > kMaxTotalBytes) {
      return absl::InvalidArgumentError(common::StrCat(
          "web_root ", dir, " holds more than ", kMaxTotalBytes >> 20, " MiB: serve it elsewhere"));
    }
    pages->files_["/" + entry.path().filename().string()] =
        File{ContentTypeOf(entry.path()), body.str()};
  }
  if (pages->files_.count("/index.html") == 0) {
    return absl::InvalidArgumentError(common::StrCat("web_root ", dir, " has no index.html"));
  }
  return std::unique_ptr<const WebPages>(std::move(pages));
}

const WebPages::File* WebPages::Find(std::string_view path) const {
  path = path.substr(0, path.find('?'));
  if (path == "/") path = "/index.html";
  const auto found = files_.find(path);
  return found == files_.end() ? nullptr : &found->second;
}

}  // namespace im::access
