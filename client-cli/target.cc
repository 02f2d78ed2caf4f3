#include "client-cli/target.h"

#include <charconv>

namespace im::cli {

absl::StatusOr<std::uint64_t> ParseGroupId(const std::string& text) {
  std::string_view digits = text;
  if (digits.starts_with("g:")) digits.remove_prefix(2);
  std::uint64_t id = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
  if (digits.empty() || error != std::errc() || end != digits.data() + digits.size() || id == 0) {
    return absl::InvalidArgumentError("a group is named by its id, like 12 or g:12 (got '" + text +
                                      "')");
  }
  return id;
}

absl::StatusOr<Target> ParseTarget(const std::string& text) {
  if (!text.starts_with("g:")) return Target{text, 0};
  auto id = ParseGroupId(text);
  if (!id.ok()) return id.status();
  return Target{"", *id};
}

std::string TargetName(const Target& target) {
  return target.group_id != 0 ? "g:" + std::to_string(target.group_id) : target.peer;
}

void SetTarget(const Target& target, client::SendMessageRequest* request) {
  if (target.group_id != 0) {
    request->set_group_id(target.group_id);
  } else {
    request->set_to_user(target.peer);
  }
}

}  // namespace im::cli
