#include "client-cli/desk_commands.h"

#include "client-cli/cli_output.h"
#include "common/str_cat.h"

namespace im::cli {
namespace {

using common::StrCat;

std::string Joined(const std::vector<std::string>& words, std::size_t from) {
  std::string text;
  for (std::size_t i = from; i < words.size(); ++i) text += (i == from ? "" : " ") + words[i];
  return text;
}

void PrintConversation(const std::string& desk, const client::DeskConversation& c, bool queued,
                       bool json, std::ostream& out) {
  if (json) {
    out << "{\"type\":\"desk_conversation\",\"desk\":" << JsonString(desk)
        << ",\"customer\":" << JsonString(c.customer()) << ",\"agent\":" << JsonString(c.agent())
        << ",\"queued\":" << (queued ? "true" : "false")
        << ",\"opened_at_ms\":" << c.opened_at_ms() << "}\n";
  } else {
    out << (queued ? "queued: " : "yours:  ") << c.customer() << "  (since "
        << FormatTime(c.opened_at_ms()) << ")\n";
  }
}

void PrintDone(const std::string& type, const std::string& desk, const std::string& customer,
               const std::string& text, bool json, std::ostream& out) {
  if (json) {
    out << "{\"type\":" << JsonString(type) << ",\"desk\":" << JsonString(desk)
        << ",\"customer\":" << JsonString(customer) << "}\n";
  } else {
    out << text << "\n";
  }
}

}  // namespace

const char* DeskUsage() {
  return "usage: im-cli desk list DESK | reply DESK CUSTOMER TEXT... | "
         "transfer DESK CUSTOMER AGENT | close DESK CUSTOMER | "
         "history DESK CUSTOMER [--limit N]\n";
}

absl::StatusOr<DeskCommand> ParseDeskCommand(const std::vector<std::string>& args,
                                             std::uint32_t limit) {
  const auto usage = absl::InvalidArgumentError(DeskUsage());
  if (args.size() < 2) return usage;
  const std::string& verb = args[0];
  const std::string desk = args[1];
  DeskCommand command;
  client::DeskRequest* req = command.request.mutable_desk();
  req->set_desk(desk);
  if (verb == "list" && args.size() == 2) {
    req->mutable_list();
    command.print = [desk](const client::ServerFrame& f, bool json, std::ostream& out) {
      const auto& r = f.desk();
      if (!json && r.mine_size() == 0 && r.queued_size() == 0) {
        out << "no open conversations at " << desk << "\n";
      }
      for (const auto& c : r.mine()) PrintConversation(desk, c, false, json, out);
      for (const auto& c : r.queued()) PrintConversation(desk, c, true, json, out);
    };
    return command;
  }
  if (args.size() < 3) return usage;
  const std::string customer = args[2];
  if (verb == "reply" && args.size() >= 4) {
    const std::string text = Joined(args, 3);
    req->mutable_reply()->set_customer(customer);
    req->mutable_reply()->set_text(text);
    req->mutable_reply()->set_client_msg_id(NewClientMessageId());
    command.print = [desk, customer](const client::ServerFrame& f, bool json, std::ostream& out) {
      const auto& sent = f.desk().sent();
      if (json) {
        out << "{\"type\":\"desk_sent\",\"desk\":" << JsonString(desk)
            << ",\"to\":" << JsonString(customer) << ",\"msg_id\":" << sent.msg_id()
            << ",\"seq\":" << sent.seq() << "}\n";
      } else {
        out << "sent to " << customer << " as " << desk << ": msg_id=" << sent.msg_id()
            << " seq=" << sent.seq() << "\n";
      }
    };
    return command;
  }
  if (verb == "transfer" && args.size() == 4) {
    const std::string to = args[3];
    req->mutable_transfer()->set_customer(customer);
    req->mutable_transfer()->set_to_agent(to);
    command.print = [desk, customer, to](const client::ServerFrame&, bool json, std::ostream& out) {
      PrintDone("desk_transferred", desk, customer,
                StrCat(customer, "'s conversation is now with ", to), json, out);
    };
    return command;
  }
  if (verb == "close" && args.size() == 3) {
    req->mutable_close()->set_customer(customer);
    command.print = [desk, customer](const client::ServerFrame&, bool json, std::ostream& out) {
      PrintDone("desk_closed", desk, customer,
                StrCat("closed the conversation with ", customer), json, out);
    };
    return command;
  }
  if (verb == "history" && args.size() == 3) {
    req->mutable_history()->set_customer(customer);
    req->mutable_history()->set_limit(limit);
    command.print = [](const client::ServerFrame& f, bool json, std::ostream& out) {
      for (const auto& m : f.desk().messages()) out << FormatMessage(m, json) << "\n";
    };
    return command;
  }
  return usage;
}

std::string FormatDeskEvent(const client::DeskEvent& event, bool json) {
  if (json) {
    return StrCat("{\"type\":\"desk_event\",\"desk\":", JsonString(event.desk()),
                  ",\"customer\":", JsonString(event.customer()),
                  ",\"event\":", JsonString(event.type()), ",\"agent\":", JsonString(event.agent()),
                  event.has_message() ? ",\"message\":" + FormatMessage(event.message(), true) : "",
                  "}");
  }
  const std::string where = StrCat("[desk ", event.desk(), "] ");
  if (event.type() == "message") {
    return StrCat(where, event.customer(), ": ",
                  event.message().kind() == "text" || event.message().kind().empty()
                      ? event.message().text()
                      : StrCat("sent ", event.message().kind(), ": ", event.message().payload()));
  }
  if (event.type() == "assigned") {
    return StrCat(where, event.customer(), "'s conversation is yours",
                  event.agent().empty() ? "" : StrCat(" (from ", event.agent(), ")"),
                  ": `im-cli desk history ", event.desk(), " ", event.customer(), "`");
  }
  return StrCat(where, event.type(), " ", event.customer());
}

}  // namespace im::cli
