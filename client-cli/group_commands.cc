#include "client-cli/group_commands.h"

#include <limits>
#include <map>

#include "client-cli/cli_output.h"
#include "client-cli/group_event_text.h"
#include "client-cli/target.h"
#include "common/group_protocol.h"
#include "common/str_cat.h"

namespace im::cli {
namespace {

using common::StrCat;
constexpr std::size_t kMany = std::numeric_limits<std::size_t>::max();

// The words after the verb, the options, and the group they name (if any).
struct Invocation {
  std::vector<std::string> args;
  GroupCommandOptions options;
  std::uint64_t group_id = 0;
};

using Print = std::function<void(const Invocation&, const client::ServerFrame&, bool json,
                                 std::ostream& out)>;

// One verb: its argument count (the group id included), its request, and how
// to print the answer.
struct Verb {
  std::size_t min_args;
  std::size_t max_args;
  bool names_group;
  std::function<absl::StatusOr<client::ClientFrame>(const Invocation&)> frame;
  Print print;
};

std::string Join(const std::vector<std::string>& words, std::size_t from) {
  std::string out;
  for (std::size_t i = from; i < words.size(); ++i) out += (i > from ? " " : "") + words[i];
  return out;
}

// A change request on the invocation's group; `fill` sets the change.
std::function<absl::StatusOr<client::ClientFrame>(const Invocation&)> Change(
    std::function<absl::Status(const Invocation&, client::GroupChangeRequest*)> fill) {
  return [fill](const Invocation& in) -> absl::StatusOr<client::ClientFrame> {
    client::ClientFrame frame;
    auto* change = frame.mutable_group_change();
    change->set_group_id(in.group_id);
    if (absl::Status s = fill(in, change); !s.ok()) return s;
    return frame;
  };
}

void PrintChange(const Invocation& in, const client::ServerFrame& f, bool json, std::ostream& out) {
  const auto& r = f.group_change();
  if (json) {
    out << "{\"type\":\"group_changed\",\"group_id\":" << in.group_id
        << ",\"changed\":" << (r.changed() ? "true" : "false") << ",\"seq\":" << r.seq() << "}\n";
  } else if (r.changed()) {
    out << "g:" << in.group_id << ": done (#" << r.seq() << ")\n";
  } else {
    out << "g:" << in.group_id << ": nothing to change\n";
  }
}

void PrintInfo(const client::GroupInfo& g, bool json, std::ostream& out) {
  if (json) {
    out << "{\"type\":\"group\",\"group_id\":" << g.group_id()
        << ",\"name\":" << JsonString(g.name()) << ",\"owner\":" << JsonString(g.owner())
        << ",\"members\":" << g.member_count() << ",\"my_role\":\"" << GroupRoleName(g.my_role())
        << "\",\"mute_all\":" << (g.mute_all() ? "true" : "false")
        << ",\"announcement\":" << JsonString(g.announcement()) << ",\"max_seq\":" << g.max_seq()
        << ",\"created_at_ms\":" << g.created_at_ms() << "}\n";
    return;
  }
  out << "g:" << g.group_id() << " \"" << g.name() << "\"  " << g.member_count()
      << " members, owner " << g.owner() << ", you: " << GroupRoleName(g.my_role())
      << (g.mute_all() ? ", mute-all on" : "") << "\n";
  if (!g.announcement().empty()) out << "  announcement: " << g.announcement() << "\n";
}

const std::map<std::string, Verb>& Verbs() {
  static const auto* verbs = new std::map<std::string, Verb>{
      {"create",
       {1, kMany, false,
        [](const Invocation& in) -> absl::StatusOr<client::ClientFrame> {
          client::ClientFrame frame;
          frame.mutable_group_create()->set_name(in.args[0]);
          for (std::size_t i = 1; i < in.args.size(); ++i) {
            frame.mutable_group_create()->add_members(in.args[i]);
          }
          return frame;
        },
        [](const Invocation& in, const client::ServerFrame& f, bool json, std::ostream& out) {
          const auto id = f.group_create().group_id();
          if (json) {
            out << "{\"type\":\"group_created\",\"group_id\":" << id
                << ",\"name\":" << JsonString(in.args[0]) << "}\n";
          } else {
            out << "created group g:" << id << " \"" << in.args[0] << "\"\n";
          }
        }}},
      {"invite",
       {2, kMany, true, Change([](const Invocation& in, client::GroupChangeRequest* c) {
          for (std::size_t i = 1; i < in.args.size(); ++i)
            c->mutable_invite()->add_usernames(in.args[i]);
          return absl::OkStatus();
        }),
        PrintChange}},
      {"kick",
       {2, 2, true, Change([](const Invocation& in, client::GroupChangeRequest* c) {
          c->set_kick(in.args[1]);
          return absl::OkStatus();
        }),
        PrintChange}},
      {"leave",
       {1, 1, true, Change([](const Invocation&, client::GroupChangeRequest* c) {
          c->set_leave(true);
          return absl::OkStatus();
        }),
        PrintChange}},
      {"dissolve",
       {1, 1, true, Change([](const Invocation&, client::GroupChangeRequest* c) {
          c->set_dissolve(true);
          return absl::OkStatus();
        }),
        PrintChange}},
      {"rename",
       {2, kMany, true, Change([](const Invocation& in, client::GroupChangeRequest* c) {
          c->set_rename(Join(in.args, 1));
          return absl::OkStatus();
        }),
        PrintChange}},
      {"announce",
       {1, kMany, true, Change([](const Invocation& in, client::GroupChangeRequest* c) {
          c->set_announce(Join(in.args, 1));
          return absl::OkStatus();
        }),
        PrintChange}},
      {"role",
       {3, 3, true, Change([](const Invocation& in, client::GroupChangeRequest* c) {
          const std::string& role = in.args[2];
          if (role != "admin" && role != "member") {
            return absl::InvalidArgumentError("a role is admin or member\n");
          }
          c->mutable_set_role()->set_user(in.args[1]);
          c->mutable_set_role()->set_role(role == "admin" ? client::GROUP_ROLE_ADMIN
                                                          : client::GROUP_ROLE_MEMBER);
          return absl::OkStatus();
        }),
        PrintChange}},
      {"transfer",
       {2, 2, true, Change([](const Invocation& in, client::GroupChangeRequest* c) {
          c->set_transfer(in.args[1]);
          return absl::OkStatus();
        }),
        PrintChange}},
      {"mute",
       {2, 2, true, Change([](const Invocation& in, client::GroupChangeRequest* c) {
          c->mutable_mute()->set_user(in.args[1]);
          c->mutable_mute()->set_muted(true);
          c->mutable_mute()->set_minutes(in.options.minutes);
          return absl::OkStatus();
        }),
        PrintChange}},
      {"unmute",
       {2, 2, true, Change([](const Invocation& in, client::GroupChangeRequest* c) {
          c->mutable_mute()->set_user(in.args[1]);
          c->mutable_mute()->set_muted(false);
          return absl::OkStatus();
        }),
        PrintChange}},
      {"mute-all",
       {2, 2, true, Change([](const Invocation& in, client::GroupChangeRequest* c) {
          if (in.args[1] != "on" && in.args[1] != "off") {
            return absl::InvalidArgumentError("usage: group mute-all G on|off\n");
          }
          c->set_mute_all(in.args[1] == "on");
          return absl::OkStatus();
        }),
        PrintChange}},
      {"info",
       {1, 1, true,
        [](const Invocation& in) -> absl::StatusOr<client::ClientFrame> {
          client::ClientFrame frame;
          frame.mutable_group_info()->set_group_id(in.group_id);
          return frame;
        },
        [](const Invocation&, const client::ServerFrame& f, bool json, std::ostream& out) {
          PrintInfo(f.group_info(), json, out);
        }}},
      {"members",
       {1, 1, true,
        [](const Invocation& in) -> absl::StatusOr<client::ClientFrame> {
          client::ClientFrame frame;
          frame.mutable_group_members()->set_group_id(in.group_id);
          frame.mutable_group_members()->set_after_user_id(in.options.after);
          frame.mutable_group_members()->set_limit(in.options.limit);
          return frame;
        },
        [](const Invocation& in, const client::ServerFrame& f, bool json, std::ostream& out) {
          const auto& page = f.group_members();
          for (const auto& m : page.members()) {
            if (json) {
              out << "{\"type\":\"member\",\"user_id\":" << m.user_id()
                  << ",\"username\":" << JsonString(m.username()) << ",\"role\":\""
                  << GroupRoleName(m.role()) << "\",\"online\":" << (m.online() ? "true" : "false")
                  << ",\"muted_until_ms\":" << m.muted_until_ms() << "}\n";
            } else {
              out << m.username() << "  " << GroupRoleName(m.role()) << "  "
                  << (m.online() ? "online" : "offline")
                  << (m.muted_until_ms() != 0 ? "  (muted)" : "") << "\n";
            }
          }
          if (page.next_after_user_id() != 0) {
            if (json) {
              out << "{\"type\":\"more\",\"after\":" << page.next_after_user_id() << "}\n";
            } else {
              out << "more: group members g:" << in.group_id << " --after "
                  << page.next_after_user_id() << "\n";
            }
          }
        }}},
      {"list",
       {0, 0, false,
        [](const Invocation&) -> absl::StatusOr<client::ClientFrame> {
          client::ClientFrame frame;
          frame.mutable_group_list();
          return frame;
        },
        [](const Invocation&, const client::ServerFrame& f, bool json, std::ostream& out) {
          if (f.group_list().groups().empty() && !json) out << "not in any group\n";
          for (const auto& g : f.group_list().groups()) PrintInfo(g, json, out);
        }}},
  };
  return *verbs;
}

absl::Status Usage() { return absl::InvalidArgumentError(StrCat("usage:\n", GroupUsage())); }

}  // namespace

const char* GroupUsage() {
  return "  group create NAME [MEMBER...] | list\n"
         "  group invite G USER... | kick G USER | leave G | dissolve G\n"
         "  group info G | members G [--after USER_ID] [--limit N]\n"
         "  group rename G NAME | announce G [TEXT]\n"
         "  group role G USER admin|member | transfer G USER\n"
         "  group mute G USER [--minutes N] | unmute G USER | mute-all G on|off\n"
         "  (G is a group id: 12 or g:12)\n";
}

absl::StatusOr<GroupCommand> ParseGroupCommand(const std::vector<std::string>& args,
                                               const GroupCommandOptions& options) {
  if (args.empty()) return Usage();
  auto it = Verbs().find(args[0]);
  if (it == Verbs().end()) return Usage();
  const Verb& verb = it->second;
  Invocation in{std::vector<std::string>(args.begin() + 1, args.end()), options};
  if (in.args.size() < verb.min_args || in.args.size() > verb.max_args) return Usage();
  if (verb.names_group) {
    auto id = ParseGroupId(in.args[0]);
    if (!id.ok()) return absl::InvalidArgumentError(StrCat(id.status().message(), "\n"));
    in.group_id = *id;
  }
  auto frame = verb.frame(in);
  if (!frame.ok()) return frame.status();
  return GroupCommand{std::move(*frame),
                      [in, print = verb.print](const client::ServerFrame& f, bool json,
                                               std::ostream& out) { print(in, f, json, out); }};
}

}  // namespace im::cli
