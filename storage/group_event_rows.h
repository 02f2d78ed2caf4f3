#pragma once
// How a group event (internal::StoredGroupEvent) is kept in the messages
// table: a row of kind "group_event" whose body is the event as JSON
// (readable in MySQL, and valid in the utf8mb4 body column, which raw
// protobuf bytes would not be; the same JSON as the client's GroupEvent, which
// rows were written as before storage had its own types). Readers serve such a
// row as a StoredMessage of kind "system" with `group_event` set; clients
// word it. Rows written before events were typed
// have kind "system" and an English sentence in the body, served as `text`.

#include <string>
#include <string_view>

#include "storage.pb.h"

namespace im::storage {

inline constexpr std::string_view kGroupEventKind = "group_event";
// A customer-service desk's reply (storage.proto AppendMessageRequest.kind):
// its body is a StoredMessage as JSON with `text` and `agent`.
inline constexpr std::string_view kDeskReplyKind = "desk";

// The body to store for `event`.
std::string GroupEventBody(const internal::StoredGroupEvent& event);

// Sets `m`'s kind to "system" and its group_event from a stored body. A body
// that does not parse (it never should) is served as the message's text, so
// nothing stored is ever hidden.
void ReadGroupEventBody(std::string_view body, internal::StoredMessage* m);

}  // namespace im::storage
