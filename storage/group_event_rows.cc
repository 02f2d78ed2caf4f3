#include "storage/group_event_rows.h"

#include "common/proto_json.h"

namespace im::storage {

std::string GroupEventBody(const internal::StoredGroupEvent& event) {
  return common::ProtoToJson(event);
}

void ReadGroupEventBody(std::string_view body, internal::StoredMessage* m) {
  m->set_kind("system");
  if (!common::ProtoFromJson(body, m->mutable_group_event()).ok()) {
    m->clear_group_event();
    m->set_text(std::string(body));
  }
}

}  // namespace im::storage
