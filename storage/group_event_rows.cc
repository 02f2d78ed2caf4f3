#include "storage/group_event_rows.h"

#include "common/proto_json.h"

namespace im::storage {

std::string GroupEventBody(const client::GroupEvent& event) { return common::ProtoToJson(event); }

void ReadGroupEventBody(std::string_view body, client::ChatMessage* m) {
  m->set_kind("system");
  if (!common::ProtoFromJson(body, m->mutable_group_event()).ok()) {
    m->clear_group_event();
    m->set_text(std::string(body));
  }
}

}  // namespace im::storage
