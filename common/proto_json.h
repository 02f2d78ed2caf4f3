#pragma once
// Protobuf messages as JSON (proto3's mapping, proto field names, 64-bit
// numbers as strings): how storage keeps typed rows in text columns and how
// logic talks to webhooks. Reading ignores fields it does not know (written
// by a newer version).

#include <string>
#include <string_view>

#include <google/protobuf/message.h>

#include "absl/status/status.h"

namespace im::common {

// Only fails on a string field with invalid UTF-8, which proto3 strings are
// never given by this code: then it returns "{}".
std::string ProtoToJson(const google::protobuf::Message& message);

// INVALID_ARGUMENT with the parser's reason when `json` is not such a message.
absl::Status ProtoFromJson(std::string_view json, google::protobuf::Message* message);

}  // namespace im::common
