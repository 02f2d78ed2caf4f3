#include "logic/message_handlers.h"

#include "common/logging.h"
#include "common/str_cat.h"

namespace im::logic {

void MessageHandlers::RegisterWith(RequestDispatcher& dispatcher) {
  dispatcher.Register(client::ClientFrame::kSendMessage, Access::kLoggedIn,
                      [this](const auto& request, Reply reply) { SendMessage(request, reply); });
}

void MessageHandlers::SendMessage(const internal::HandleRequest& request, Reply reply) {
  const auto& req = request.frame().send_message();
  const internal::SessionContext& session = request.session();
  if (req.to_user().empty()) return reply(absl::InvalidArgumentError("recipient is required"));
  if (req.text().empty()) return reply(absl::InvalidArgumentError("message text is empty"));
  if (static_cast<std::int64_t>(req.text().size()) > config_.max_text_bytes) {
    return reply(absl::InvalidArgumentError(
        common::StrCat("message text is larger than ", config_.max_text_bytes, " bytes")));
  }
  if (req.client_msg_id().size() > 64) {
    return reply(absl::InvalidArgumentError("client_msg_id longer than 64 bytes"));
  }
  if (req.to_user() == session.username()) {
    return reply(absl::InvalidArgumentError("cannot send a message to yourself"));
  }

  internal::GetUserRequest get;
  get.set_username(req.to_user());
  storage_->GetUser(std::move(get), [this, session, req, reply](
                                        absl::StatusOr<internal::User> recipient) {
    if (recipient.status().code() == absl::StatusCode::kNotFound) {
      return reply(absl::NotFoundError(common::StrCat("no such user '", req.to_user(), "'")));
    }
    if (!recipient.ok()) return reply(recipient.status());
    internal::AppendMessageRequest append;
    append.set_sender_id(session.user_id());
    append.set_recipient_id(recipient->user_id());
    append.set_client_msg_id(req.client_msg_id());
    append.set_text(req.text());
    storage_->AppendMessage(std::move(append), [this, session, req, recipient = *recipient, reply](
                                                   absl::StatusOr<internal::AppendMessageResponse>
                                                       stored) {
      if (!stored.ok()) return reply(stored.status());
      internal::HandleResponse response;
      auto* sent = response.mutable_frame()->mutable_send_message();
      sent->set_msg_id(stored->msg_id());
      sent->set_conv_id(stored->conv_id());
      sent->set_seq(stored->seq());
      sent->set_sent_at_ms(stored->sent_at_ms());
      reply(std::move(response));
      common::GetLogger("message")->debug("event=stored uid={} msg={} conv={} seq={} dup={}",
                                          session.user_id(), stored->msg_id(), stored->conv_id(),
                                          stored->seq(), stored->duplicate());
      if (stored->duplicate()) return;  // delivered (or synced) the first time

      client::ServerFrame event;
      auto* message = event.mutable_message();
      message->set_msg_id(stored->msg_id());
      message->set_conv_id(stored->conv_id());
      message->set_seq(stored->seq());
      message->set_sender_id(session.user_id());
      message->set_sender(session.username());
      message->set_recipient(recipient.username());
      message->set_text(req.text());
      message->set_sent_at_ms(stored->sent_at_ms());
      fanout_->PushToUsers({recipient.user_id(), session.user_id()}, std::move(event),
                           session.access_node_id(), session.conn_id());
    });
  });
}

}  // namespace im::logic
