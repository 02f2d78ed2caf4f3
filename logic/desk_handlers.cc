#include "logic/desk_handlers.h"

#include "common/logging.h"
#include "common/proto_json.h"
#include "common/str_cat.h"
#include "logic/peer_lookup.h"
#include "logic/stored_to_client.h"

namespace im::logic {
namespace {

constexpr std::size_t kMaxDeskClientIdBytes = 40;

client::DeskConversation Conversation(const internal::DeskTicket& t) {
  client::DeskConversation c;
  c.set_customer(t.customer());
  c.set_agent(t.agent());
  c.set_opened_at_ms(t.opened_at_ms());
  return c;
}

client::ServerFrame DeskEventFrame(const std::string& desk, const std::string& customer,
                                   const std::string& type, const std::string& agent = "") {
  client::ServerFrame frame;
  auto* event = frame.mutable_desk_event();
  event->set_desk(desk);
  event->set_customer(customer);
  event->set_type(type);
  event->set_agent(agent);
  return frame;
}

// The customer a request names.
const std::string& CustomerOf(const client::DeskRequest& req) {
  switch (req.op_case()) {
    case client::DeskRequest::kReply:
      return req.reply().customer();
    case client::DeskRequest::kTransfer:
      return req.transfer().customer();
    case client::DeskRequest::kClose:
      return req.close().customer();
    default:
      return req.history().customer();
  }
}

}  // namespace

void DeskHandlers::RegisterWith(RequestDispatcher& dispatcher) {
  dispatcher.Register(client::ClientFrame::kDesk, Access::kLoggedIn,
                      BindHandler(this, &DeskHandlers::Handle));
}

HandlerTask DeskHandlers::Handle(internal::HandleRequest request, Reply reply) {
  const internal::SessionContext& session = request.session();
  const client::DeskRequest& req = request.frame().desk();
  const std::shared_ptr<const DeskDirectory> directory =
      directory_ != nullptr ? directory_->current() : nullptr;
  if (directory == nullptr || directory->AgentsOf(req.desk()) == nullptr) {
    co_return reply(absl::NotFoundError(common::StrCat("no desk named '", req.desk(), "'")));
  }
  if (!directory->IsAgent(req.desk(), session.username())) {
    co_return reply(absl::PermissionDeniedError(
        common::StrCat("you are not an agent of desk '", req.desk(), "'")));
  }
  if (req.op_case() == client::DeskRequest::OP_NOT_SET) {
    co_return reply(absl::InvalidArgumentError("a desk request needs an operation"));
  }
  auto desk = co_await PeerNamed(*users_, session, req.desk(), "an agent cannot be the desk");
  if (!desk.ok()) co_return reply(desk.status());
  internal::DeskCall call;
  call.set_desk_id(desk->user_id());
  call.set_agent_id(session.user_id());
  internal::HandleResponse response;
  client::DeskResponse* out = response.mutable_frame()->mutable_desk();

  if (req.op_case() == client::DeskRequest::kList) {
    call.set_op(internal::DeskCall::VIEW);
    auto view = co_await Call(storage_, &StorageApi::Desk, std::move(call));
    if (!view.ok()) co_return reply(view.status());
    for (const auto& t : view->view().mine()) *out->add_mine() = Conversation(t);
    for (const auto& t : view->view().queued()) *out->add_queued() = Conversation(t);
    co_return reply(std::move(response));
  }

  const std::string customer_name = CustomerOf(req);
  auto customer = co_await PeerNamed(*users_, session, customer_name, "you are not your customer");
  if (!customer.ok()) co_return reply(customer.status());
  call.set_customer_id(customer->user_id());

  if (req.op_case() == client::DeskRequest::kTransfer) {
    const std::string& to_name = req.transfer().to_agent();
    if (!directory->IsAgent(req.desk(), to_name)) {
      co_return reply(absl::InvalidArgumentError(
          common::StrCat("'", to_name, "' is not an agent of desk '", req.desk(), "'")));
    }
    auto to = co_await PeerNamed(*users_, session, to_name, "the conversation is yours already");
    if (!to.ok()) co_return reply(to.status());
    call.set_op(internal::DeskCall::TRANSFER);
    call.set_to_agent_id(to->user_id());
    auto moved = co_await Call(storage_, &StorageApi::Desk, std::move(call));
    if (!moved.ok()) co_return reply(moved.status());
    Tell(to->user_id(),
         DeskEventFrame(req.desk(), customer_name, "assigned", session.username()).desk_event());
    co_return reply(std::move(response));
  }
  if (req.op_case() == client::DeskRequest::kClose) {
    call.set_op(internal::DeskCall::CLOSE);
    auto closed = co_await Call(storage_, &StorageApi::Desk, std::move(call));
    if (!closed.ok()) co_return reply(closed.status());
    co_return reply(std::move(response));
  }

  // Reply and history: the agent must hold the customer's open conversation.
  call.set_op(internal::DeskCall::OPEN);
  auto open = co_await Call(storage_, &StorageApi::Desk, std::move(call));
  if (open.status().code() == absl::StatusCode::kNotFound) {
    co_return reply(absl::NotFoundError(
        common::StrCat("no open conversation with ", customer_name, " at desk ", req.desk())));
  }
  if (!open.ok()) co_return reply(open.status());
  if (open->tickets(0).agent_id() != session.user_id()) {
    co_return reply(absl::PermissionDeniedError(
        common::StrCat(customer_name, "'s conversation is with another agent")));
  }

  if (req.op_case() == client::DeskRequest::kHistory) {
    internal::HistoryQuery query;
    query.mutable_conversation()->set_user_id(desk->user_id());
    query.mutable_conversation()->set_peer_id(customer->user_id());
    query.set_before_seq(req.history().before_seq());
    query.set_limit(req.history().limit());
    auto page = co_await Call(storage_, &StorageApi::History, std::move(query));
    if (!page.ok()) co_return reply(page.status());
    ToClient(std::move(*page->mutable_messages()), out->mutable_messages());
    co_return reply(std::move(response));
  }

  // A reply, as the desk.
  const client::DeskReplyRequest& text = req.reply();
  if (text.text().empty()) co_return reply(absl::InvalidArgumentError("message text is empty"));
  if (static_cast<std::int64_t>(text.text().size()) > config_.max_text_bytes) {
    co_return reply(absl::InvalidArgumentError(
        common::StrCat("message is larger than ", config_.max_text_bytes, " bytes")));
  }
  if (text.client_msg_id().size() > kMaxDeskClientIdBytes) {
    co_return reply(absl::InvalidArgumentError("client_msg_id longer than 40 bytes"));
  }
  internal::UserPair pair;
  pair.set_user_id(desk->user_id());
  pair.set_peer_id(customer->user_id());
  auto relation = co_await Call(storage_, &StorageApi::GetRelation, std::move(pair));
  if (!relation.ok()) co_return reply(relation.status());
  if (relation->peer_blocked_user()) {
    co_return reply(absl::PermissionDeniedError(
        common::StrCat(customer_name, " has blocked desk ", req.desk())));
  }
  internal::StoredMessage body;  // stored as kind "desk": the text and who wrote it
  body.set_text(text.text());
  body.set_agent(session.username());
  internal::AppendMessageRequest append;
  append.set_sender_id(desk->user_id());
  append.set_recipient_id(customer->user_id());
  if (!text.client_msg_id().empty()) {  // client ids are the desk's: one space per agent
    append.set_client_msg_id(common::StrCat("agent", session.user_id(), ":", text.client_msg_id()));
  }
  append.set_kind("desk");
  append.set_text(common::ProtoToJson(body));
  if (config_.RecordsWebhookEvents()) {  // storage fills in the message
    append.mutable_webhook_event()->set_type("message.sent");
    append.mutable_webhook_event()->mutable_message()->set_sender(desk->username());
    append.mutable_webhook_event()->mutable_message()->set_recipient(customer_name);
  }
  auto stored = co_await Call(storage_, &StorageApi::AppendMessage, std::move(append));
  if (!stored.ok()) co_return reply(stored.status());
  auto* sent = out->mutable_sent();
  sent->set_msg_id(stored->msg_id());
  sent->set_conv_id(stored->conv_id());
  sent->set_seq(stored->seq());
  sent->set_sent_at_ms(stored->sent_at_ms());
  reply(std::move(response));
  if (stored->duplicate()) co_return;
  client::ServerFrame pushed;
  client::ChatMessage* message = pushed.mutable_message();
  message->set_msg_id(stored->msg_id());
  message->set_conv_id(stored->conv_id());
  message->set_seq(stored->seq());
  message->set_sender_id(desk->user_id());
  message->set_sender(desk->username());
  message->set_recipient(customer_name);
  message->set_kind("text");
  message->set_text(text.text());
  message->set_agent(session.username());
  message->set_sent_at_ms(stored->sent_at_ms());
  if (stored->has_routes()) {
    fanout_->PushToRoutes(stored->routes(), pushed, "", 0);
  } else {
    fanout_->PushToUsers({customer->user_id(), desk->user_id()}, std::move(pushed), "", 0);
  }
}

bool DeskHandlers::RoutesTo(const std::string& recipient, const std::string& sender) const {
  const std::shared_ptr<const DeskDirectory> directory =
      directory_ != nullptr ? directory_->current() : nullptr;
  return directory != nullptr && directory->AgentsOf(recipient) != nullptr &&
         !directory->IsAgent(recipient, sender);
}

void DeskHandlers::RouteCustomer(const internal::SessionContext& customer,
                                 const internal::User& desk, const client::ChatMessage& message,
                                 bool tell_agent, std::function<void(absl::Status)> routed) {
  const std::shared_ptr<const DeskDirectory> directory =
      directory_ != nullptr ? directory_->current() : nullptr;
  const std::vector<std::string>* agents =
      directory != nullptr ? directory->AgentsOf(desk.username()) : nullptr;
  if (agents == nullptr) return routed(absl::OkStatus());  // no desk any more (a reload)
  Route(customer, desk, *agents, message, tell_agent, std::move(routed));
}

HandlerTask DeskHandlers::Route(internal::SessionContext customer, internal::User desk,
                                std::vector<std::string> agents, client::ChatMessage message,
                                bool tell_agent, std::function<void(absl::Status)> routed) {
  internal::DeskCall call;
  call.set_op(internal::DeskCall::ROUTE);
  call.set_desk_id(desk.user_id());
  call.set_customer_id(customer.user_id());
  for (auto& agent : agents) call.add_agents(std::move(agent));
  auto result = co_await Call(storage_, &StorageApi::Desk, std::move(call));
  if (result.ok() && result->tickets_size() != 1) {
    result = absl::InternalError("routing returned no ticket");
  }
  if (!result.ok()) {
    common::GetLogger("desk")->warn("event=desk_route_failed desk={} customer={} error=\"{}\"",
                                    desk.username(), customer.username(),
                                    result.status().message());
    co_return routed(result.status());
  }
  routed(absl::OkStatus());
  const internal::DeskTicket& ticket = result->tickets(0);
  if (!tell_agent || ticket.agent_id() == 0) co_return;  // queued until an agent is online
  client::ServerFrame frame = DeskEventFrame(desk.username(), customer.username(), "message");
  *frame.mutable_desk_event()->mutable_message() = std::move(message);
  fanout_->PushToRoutes(result->agent_routes(), frame, "", 0);
}

void DeskHandlers::OnLoggedIn(std::uint64_t user_id, const std::string& username) {
  const std::shared_ptr<const DeskDirectory> directory =
      directory_ != nullptr ? directory_->current() : nullptr;
  if (directory == nullptr) return;
  for (const std::string& desk : directory->DesksOf(username)) AssignQueue(user_id, username, desk);
}

HandlerTask DeskHandlers::AssignQueue(std::uint64_t agent_id, std::string agent, std::string desk) {
  internal::SessionContext session;
  session.set_user_id(agent_id);
  session.set_username(agent);
  auto desk_user = co_await PeerNamed(*users_, session, desk, "an agent cannot be the desk");
  if (!desk_user.ok()) co_return;  // the desk account is not registered (yet)
  internal::DeskCall call;
  call.set_op(internal::DeskCall::ASSIGN_QUEUED);
  call.set_desk_id(desk_user->user_id());
  call.set_agent_id(agent_id);
  auto given = co_await Call(storage_, &StorageApi::Desk, std::move(call));
  if (!given.ok()) {
    common::GetLogger("desk")->warn("event=desk_queue_failed desk={} agent={} error=\"{}\"", desk,
                                    agent, given.status().message());
    co_return;
  }
  for (const auto& ticket : given->tickets()) {
    Tell(agent_id, DeskEventFrame(desk, ticket.customer(), "assigned").desk_event());
  }
}

void DeskHandlers::Tell(std::uint64_t agent_id, client::DeskEvent event) {
  client::ServerFrame frame;
  *frame.mutable_desk_event() = std::move(event);
  fanout_->PushToUsers({agent_id}, std::move(frame), "", 0);
}

}  // namespace im::logic
