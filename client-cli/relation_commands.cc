#include "client-cli/relation_commands.h"

#include <functional>
#include <map>

#include "client-cli/cli_output.h"
#include "client-cli/requests.h"
#include "common/str_cat.h"

namespace im::cli {
namespace {

using common::StrCat;

// A command as printed: its arguments after the verb, and where to print.
struct Invocation {
  std::vector<std::string> args;
  std::string note;
  bool json = false;
  std::ostream* out_stream = nullptr;
  std::ostream& out() const { return *out_stream; }
};

// One verb: how many arguments it takes, its request, and how to print the answer.
struct Verb {
  std::size_t arity;
  std::function<client::ClientFrame(const Invocation&)> frame;
  std::function<void(const Invocation&, const client::ServerFrame&)> print;
};

void PrintLine(const Invocation& in, const std::string& type, const std::string& peer,
               const std::string& text) {
  if (in.json) {
    in.out() << "{\"type\":" << JsonString(type) << ",\"peer\":" << JsonString(peer) << "}\n";
  } else {
    in.out() << text << "\n";
  }
}

std::string Peer(const Invocation& in) { return in.args.at(0); }

const std::map<std::string, std::map<std::string, Verb>>& Verbs() {
  static const auto* verbs = new std::map<std::string, std::map<std::string, Verb>>{
      {"friend",
       {
           {"request",
            {1, [](const Invocation& in) { return FriendRequestFrame(Peer(in), in.note); },
             [](const Invocation& in, const client::ServerFrame& f) {
               const auto& r = f.friend_request();
               if (r.became_friends()) {
                 PrintLine(in, "friends", Peer(in),
                           StrCat("you and ", Peer(in), " are now friends"));
               } else if (r.already_pending()) {
                 PrintLine(in, "request_pending", Peer(in),
                           StrCat("your request to ", Peer(in), " is already pending"));
               } else {
                 PrintLine(in, "request_sent", Peer(in),
                           StrCat("friend request sent to ", Peer(in)));
               }
             }}},
           {"accept",
            {1, [](const Invocation& in) { return FriendRespondFrame(Peer(in), true); },
             [](const Invocation& in, const client::ServerFrame&) {
               PrintLine(in, "friends", Peer(in), StrCat("you and ", Peer(in), " are now friends"));
             }}},
           {"decline",
            {1, [](const Invocation& in) { return FriendRespondFrame(Peer(in), false); },
             [](const Invocation& in, const client::ServerFrame&) {
               PrintLine(in, "declined", Peer(in), StrCat("declined ", Peer(in), "'s request"));
             }}},
           {"cancel",
            {1, [](const Invocation& in) { return FriendCancelFrame(Peer(in)); },
             [](const Invocation& in, const client::ServerFrame&) {
               PrintLine(in, "cancelled", Peer(in), StrCat("withdrew your request to ", Peer(in)));
             }}},
           {"remove",
            {1, [](const Invocation& in) { return FriendRemoveFrame(Peer(in)); },
             [](const Invocation& in, const client::ServerFrame&) {
               PrintLine(in, "removed", Peer(in), StrCat(Peer(in), " is no longer your friend"));
             }}},
           {"list",
            {0, [](const Invocation&) { return FriendListFrame(); },
             [](const Invocation& in, const client::ServerFrame& f) {
               const auto& friends = f.friend_list().friends();
               if (friends.empty() && !in.json) in.out() << "no friends yet\n";
               for (const auto& fr : friends) {
                 if (in.json) {
                   in.out() << "{\"type\":\"friend\",\"username\":" << JsonString(fr.username())
                            << ",\"online\":" << (fr.online() ? "true" : "false")
                            << ",\"blocked\":" << (fr.blocked() ? "true" : "false")
                            << ",\"since_ms\":" << fr.since_ms() << "}\n";
                 } else {
                   in.out() << fr.username() << "  " << (fr.online() ? "online" : "offline")
                            << (fr.blocked() ? "  (blocked)" : "") << "\n";
                 }
               }
             }}},
           {"pending",
            {0, [](const Invocation&) { return FriendPendingFrame(); },
             [](const Invocation& in, const client::ServerFrame& f) {
               const auto& p = f.friend_pending();
               if (p.incoming().empty() && p.outgoing().empty() && !in.json) {
                 in.out() << "no pending friend requests\n";
               }
               for (auto [direction, list] :
                    {std::pair{"incoming", &p.incoming()}, std::pair{"outgoing", &p.outgoing()}}) {
                 for (const auto& r : *list) {
                   if (in.json) {
                     in.out() << "{\"type\":\"pending\",\"direction\":\"" << direction
                              << "\",\"username\":" << JsonString(r.username())
                              << ",\"note\":" << JsonString(r.note())
                              << ",\"created_at_ms\":" << r.created_at_ms() << "}\n";
                   } else {
                     in.out() << (std::string(direction) == "incoming" ? "from " : "to   ")
                              << r.username() << (r.note().empty() ? "" : ": " + r.note()) << "\n";
                   }
                 }
               }
             }}},
       }},
      {"block",
       {
           {"add",
            {1, [](const Invocation& in) { return BlockFrame(Peer(in), true); },
             [](const Invocation& in, const client::ServerFrame&) {
               PrintLine(in, "blocked", Peer(in), StrCat("blocked ", Peer(in)));
             }}},
           {"remove",
            {1, [](const Invocation& in) { return BlockFrame(Peer(in), false); },
             [](const Invocation& in, const client::ServerFrame&) {
               PrintLine(in, "unblocked", Peer(in), StrCat("unblocked ", Peer(in)));
             }}},
           {"list",
            {0, [](const Invocation&) { return BlockListFrame(); },
             [](const Invocation& in, const client::ServerFrame& f) {
               const auto& names = f.block_list().usernames();
               if (names.empty() && !in.json) in.out() << "nobody is blocked\n";
               for (const auto& name : names) {
                 if (in.json) {
                   in.out() << "{\"type\":\"blocked\",\"username\":" << JsonString(name) << "}\n";
                 } else {
                   in.out() << name << "\n";
                 }
               }
             }}},
       }},
  };
  return *verbs;
}

absl::Status Usage() { return absl::InvalidArgumentError(StrCat("usage:\n", RelationUsage())); }

}  // namespace

const char* RelationUsage() {
  return "  friend request PEER [--note TEXT] | accept PEER | decline PEER | cancel PEER |"
         " remove PEER | list | pending\n"
         "  block add PEER | remove PEER | list\n"
         "  privacy set messages everyone|friends\n";
}

bool IsRelationGroup(const std::string& group) {
  return group == "friend" || group == "block" || group == "privacy";
}

absl::StatusOr<RelationCommand> ParseRelationCommand(const std::string& group,
                                                     const std::vector<std::string>& args,
                                                     const std::string& note) {
  if (group == "privacy") {
    if (args.size() != 3 || args[0] != "set" || args[1] != "messages" ||
        (args[2] != "everyone" && args[2] != "friends")) {
      return Usage();
    }
    const std::string choice = args[2];
    return RelationCommand{PrivacyFrame(choice == "friends" ? client::MESSAGE_POLICY_FRIENDS
                                                            : client::MESSAGE_POLICY_EVERYONE),
                           [choice](const client::ServerFrame&, bool json, std::ostream& out) {
                             if (json) {
                               out << "{\"type\":\"privacy\",\"messages\":" << JsonString(choice)
                                   << "}\n";
                             } else {
                               out << "who may message you: " << choice << "\n";
                             }
                           }};
  }
  auto group_it = Verbs().find(group);
  if (group_it == Verbs().end() || args.empty()) return Usage();
  auto verb_it = group_it->second.find(args[0]);
  if (verb_it == group_it->second.end()) return Usage();
  const Verb& verb = verb_it->second;
  Invocation in{std::vector<std::string>(args.begin() + 1, args.end()), note};
  if (in.args.size() != verb.arity) return Usage();
  return RelationCommand{
      verb.frame(in),
      [in, print = verb.print](const client::ServerFrame& f, bool json, std::ostream& out) mutable {
        in.json = json;
        in.out_stream = &out;
        print(in, f);
      }};
}

std::string FormatFriendEvent(const client::FriendEvent& e, const std::string& me, bool json) {
  static const std::map<int, std::string> kNames = {{client::FriendEvent::REQUESTED, "requested"},
                                                    {client::FriendEvent::ACCEPTED, "accepted"},
                                                    {client::FriendEvent::DECLINED, "declined"},
                                                    {client::FriendEvent::REMOVED, "removed"},
                                                    {client::FriendEvent::CANCELLED, "cancelled"}};
  const auto name = kNames.count(e.kind()) ? kNames.at(e.kind()) : "unknown";
  if (json) {
    return StrCat("{\"type\":\"friend_event\",\"kind\":\"", name,
                  "\",\"from\":", JsonString(e.from_user()), ",\"to\":", JsonString(e.to_user()),
                  ",\"note\":", JsonString(e.note()), ",\"at_ms\":", e.at_ms(), "}");
  }
  const bool mine = e.from_user() == me;
  const std::string& other = mine ? e.to_user() : e.from_user();
  switch (e.kind()) {
    case client::FriendEvent::REQUESTED:
      return mine ? StrCat("* you asked ", other, " to be friends")
                  : StrCat("* ", other, " wants to be your friend",
                           e.note().empty() ? "" : ": \"" + e.note() + "\"", " (friend accept ",
                           other, ")");
    case client::FriendEvent::ACCEPTED:
      return StrCat("* you and ", other, " are now friends");
    case client::FriendEvent::DECLINED:
      return StrCat("* you declined ", other, "'s request");
    case client::FriendEvent::REMOVED:
      return mine ? StrCat("* you removed ", other, " from your friends")
                  : StrCat("* ", other, " removed you from their friends");
    case client::FriendEvent::CANCELLED:
      return mine ? StrCat("* you withdrew your request to ", other)
                  : StrCat("* ", other, " withdrew their friend request");
    default:
      return "* a friend list change";
  }
}

void PrintPendingRequests(ImClient& client, bool json, std::ostream& out) {
  auto pending = client.Request(FriendPendingFrame());
  if (!pending.ok()) return;
  for (const auto& r : pending->friend_pending().incoming()) {
    client::FriendEvent event;
    event.set_kind(client::FriendEvent::REQUESTED);
    event.set_from_user(r.username());
    event.set_note(r.note());
    event.set_at_ms(r.created_at_ms());
    out << FormatFriendEvent(event, "", json) << "\n";
  }
}

}  // namespace im::cli
