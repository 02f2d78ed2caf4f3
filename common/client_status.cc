#include "common/client_status.h"

#include <string>

namespace im::common {

void SetClientStatus(const absl::Status& status, im::client::Status* out) {
  out->set_code(static_cast<int>(status.code()));
  out->set_message(std::string(status.message()));
}

absl::Status FromClientStatus(const im::client::Status& status) {
  if (status.code() == 0) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.code()), status.message());
}

}  // namespace im::common
