#include "client-cli/group_event_text.h"

#include "common/str_cat.h"

namespace im::cli {
namespace {

using Event = client::GroupEvent;

// "bob", "bob, carol", "bob, carol and 3 others".
std::string Names(const Event& event) {
  std::string out;
  for (int i = 0; i < event.users_size(); ++i) {
    if (i > 0) out += ", ";
    out += event.users(i);
  }
  if (event.more_users() > 0) out += common::StrCat(" and ", event.more_users(), " others");
  return out;
}

std::string FirstUser(const Event& event) {
  return event.users_size() > 0 ? event.users(0) : std::string("someone");
}

std::string Quoted(const std::string& text) { return "\"" + text + "\""; }

}  // namespace

std::string DescribeGroupEvent(const Event& event) {
  const std::string& actor = event.actor();
  switch (event.type()) {
    case Event::CREATED: {
      std::string text = common::StrCat(actor, " created the group ", Quoted(event.text()));
      if (event.users_size() > 0) text += " with " + Names(event);
      return text;
    }
    case Event::ADDED:
      return common::StrCat(actor, " added ", Names(event));
    case Event::REMOVED:
      return common::StrCat(actor, " removed ", FirstUser(event));
    case Event::LEFT:
      return actor + " left the group";
    case Event::DISSOLVED:
      return actor + " dissolved the group";
    case Event::RENAMED:
      return common::StrCat(actor, " renamed the group to ", Quoted(event.text()));
    case Event::ANNOUNCED:
      if (event.text().empty()) return actor + " cleared the announcement";
      return common::StrCat(actor, " posted an announcement: ", event.text());
    case Event::ROLE_CHANGED:
      return common::StrCat(actor, " made ", FirstUser(event),
                            event.role() == client::GROUP_ROLE_ADMIN ? " an admin" : " a member");
    case Event::TRANSFERRED:
      return common::StrCat(actor, " made ", FirstUser(event), " the owner");
    case Event::MUTED:
      if (event.minutes() == 0)
        return common::StrCat(actor, " muted ", FirstUser(event), " until unmuted");
      return common::StrCat(actor, " muted ", FirstUser(event), " for ", event.minutes(),
                            event.minutes() == 1 ? " minute" : " minutes");
    case Event::UNMUTED:
      return common::StrCat(actor, " unmuted ", FirstUser(event));
    case Event::MUTE_ALL:
      return event.on() ? actor + " turned on mute-all: only the owner and admins can send"
                        : actor + " turned off mute-all";
    default:
      return actor + " changed the group";  // a kind of event newer than this im-cli
  }
}

const char* GroupRoleName(client::GroupRole role) {
  switch (role) {
    case client::GROUP_ROLE_OWNER:
      return "owner";
    case client::GROUP_ROLE_ADMIN:
      return "admin";
    case client::GROUP_ROLE_MEMBER:
      return "member";
    default:
      return "none";
  }
}

}  // namespace im::cli
