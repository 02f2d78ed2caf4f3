#include "common/group_protocol.h"

#include "common/str_cat.h"

namespace im::common {

absl::Status ValidateGroupName(std::string_view name) {
  if (name.find_first_not_of(" \t") == std::string_view::npos) {
    return absl::InvalidArgumentError("the group needs a name");
  }
  if (name.size() > kMaxGroupNameBytes) {
    return absl::InvalidArgumentError(
        StrCat("a group name is at most ", kMaxGroupNameBytes, " bytes"));
  }
  return absl::OkStatus();
}

}  // namespace im::common
