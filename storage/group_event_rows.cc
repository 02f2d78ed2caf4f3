#include "storage/group_event_rows.h"

#include <google/protobuf/util/json_util.h>

namespace im::storage {

std::string GroupEventBody(const client::GroupEvent& event) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string body;
  // Only fails for a message with invalid UTF-8, which usernames never are.
  (void)google::protobuf::util::MessageToJsonString(event, &body, options);
  return body;
}

void ReadGroupEventBody(std::string_view body, client::ChatMessage* m) {
  m->set_kind("system");
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;  // events written by a newer storage
  if (!google::protobuf::util::JsonStringToMessage(std::string(body), m->mutable_group_event(),
                                                   options)
           .ok()) {
    m->clear_group_event();
    m->set_text(std::string(body));
  }
}

}  // namespace im::storage
