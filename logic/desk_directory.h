#pragma once
// DeskDirectory: the operator's customer-service desks, from the file named
// by `desk_file` (README "Customer-service desk"), read at start and again on
// SIGHUP. One desk per line: the desk's account, a colon, its agents.
//
//   # desk: agents
//   support: ann ben carol
//   billing: dave
//
// A desk account is an ordinary user that customers message; agents are
// ordinary users who answer for it. Names are usernames (not checked to
// exist here: an unknown agent is never online). Immutable; shared through
// DeskDirectoryHolder.

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "logic/swappable.h"

namespace im::logic {

class DeskDirectory {
 public:
  // INVALID_ARGUMENT naming `source` and the line when `text` is not such a list.
  static absl::StatusOr<std::shared_ptr<const DeskDirectory>> Parse(std::string_view text,
                                                                    std::string_view source);
  static absl::StatusOr<std::shared_ptr<const DeskDirectory>> Load(const std::string& path);

  // The agents of `desk`; null if it is no desk.
  const std::vector<std::string>* AgentsOf(std::string_view desk) const;
  bool IsAgent(std::string_view desk, std::string_view user) const;
  // The desks `user` is an agent of.
  std::vector<std::string> DesksOf(std::string_view user) const;
  std::size_t desks() const { return agents_.size(); }

 private:
  std::map<std::string, std::vector<std::string>, std::less<>> agents_;  // desk -> agents
};

using DeskDirectoryHolder = Swappable<DeskDirectory>;

}  // namespace im::logic
