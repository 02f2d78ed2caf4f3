#include "logic/message_handlers.h"

#include <set>

#include "common/logging.h"
#include "common/str_cat.h"
#include "logic/message_policy.h"
#include "logic/peer_lookup.h"

namespace im::logic {
namespace {

// How often a send is decided again when the relation changes under it.
constexpr int kMaxRelationAttempts = 3;

const std::set<std::string, std::less<>> kTypedKinds = {"image", "file", "custom"};

std::string KindOf(const client::SendMessageRequest& req) {
  return req.kind().empty() ? "text" : req.kind();
}

// A text message needs text; image/file/custom need a JSON object payload
// (a reference to the content, never the bytes). Both are size-limited.
absl::Status ValidateContent(const client::SendMessageRequest& req, std::int64_t max_bytes) {
  const std::string kind = KindOf(req);
  const std::string& content = kind == "text" ? req.text() : req.payload();
  if (kind != "text" && kTypedKinds.count(kind) == 0) {
    return absl::InvalidArgumentError(
        common::StrCat("unknown message kind '", kind, "' (text, image, file or custom)"));
  }
  if (content.empty()) {
    return absl::InvalidArgumentError(kind == "text" ? "message text is empty"
                                                     : "a " + kind + " message needs a payload");
  }
  if (kind != "text" && (content.front() != '{' || content.back() != '}')) {
    return absl::InvalidArgumentError("the payload must be a JSON object");
  }
  if (static_cast<std::int64_t>(content.size()) > max_bytes) {
    return absl::InvalidArgumentError(
        common::StrCat("message is larger than ", max_bytes, " bytes"));
  }
  return absl::OkStatus();
}

// `reply` with the ack's `flag` set (masked, rewritten) when it succeeds.
Reply Flagging(Reply reply, void (client::SendMessageResponse::*flag)(bool)) {
  return [reply = std::move(reply), flag](absl::StatusOr<internal::HandleResponse> response) {
    if (response.ok()) (response->mutable_frame()->mutable_send_message()->*flag)(true);
    reply(std::move(response));
  };
}

}  // namespace

void MessageHandlers::RegisterWith(RequestDispatcher& dispatcher) {
  dispatcher.Register(client::ClientFrame::kSendMessage, Access::kLoggedIn,
                      BindHandler(this, &MessageHandlers::SendMessage));
}

void MessageHandlers::SendMessage(const internal::HandleRequest& request, Reply reply) {
  const SentAt sent_at = std::chrono::steady_clock::now();
  const auto& req = request.frame().send_message();
  const internal::SessionContext& session = request.session();
  if (absl::Status valid = ValidateContent(req, config_.max_text_bytes); !valid.ok()) {
    return reply(valid);
  }
  if (req.client_msg_id().size() > 64) {
    return reply(absl::InvalidArgumentError("client_msg_id longer than 64 bytes"));
  }
  if (req.group_id() != 0 && !req.to_user().empty()) {
    return reply(absl::InvalidArgumentError("a message goes to a user or a group, not both"));
  }
  const std::shared_ptr<const SendFilter> filter =
      screens_.filter != nullptr && KindOf(req) == "text" ? screens_.filter->current() : nullptr;
  if (filter == nullptr) return AskHookThenRoute(session, req, std::move(reply), sent_at);
  SendFilter::Verdict verdict = filter->Apply(req.text());
  if (verdict.refused) {
    common::GetLogger("logic")->info("event=send_filtered uid={} rule=\"{}\"", session.user_id(),
                                     verdict.rule);
    return reply(absl::PermissionDeniedError(
        "the server's content filter refused this message; nothing was sent"));
  }
  if (!verdict.masked) return AskHookThenRoute(session, req, std::move(reply), sent_at);
  client::SendMessageRequest masked = req;
  masked.set_text(std::move(verdict.text));
  AskHookThenRoute(session, masked,
                   Flagging(std::move(reply), &client::SendMessageResponse::set_masked), sent_at);
}

void MessageHandlers::AskHookThenRoute(const internal::SessionContext& session,
                                       const client::SendMessageRequest& req, Reply reply,
                                       SentAt sent_at) {
  if (screens_.before_send == nullptr) {
    return Route(session, req, std::move(reply), sent_at, nullptr);
  }
  // Its place in the connection's order, before the wait.
  Turn turn = order_.Arrive(session.access_node_id(), session.conn_id());
  screens_.before_send->Ask(
      session, req,
      [this, session, req, reply = std::move(reply), sent_at,
       turn = std::move(turn)](BeforeSendHook::Decision decision) mutable {
        using Action = BeforeSendHook::Decision::Action;
        if (decision.action == Action::kRefuse) return reply(decision.refusal);
        if (decision.action == Action::kAllow) {
          return Route(session, req, std::move(reply), sent_at, std::move(turn));
        }
        client::SendMessageRequest rewritten = req;
        if (KindOf(req) == "text") {
          rewritten.set_text(std::move(decision.content));
        } else {
          rewritten.set_payload(std::move(decision.content));
        }
        if (absl::Status valid = ValidateContent(rewritten, config_.max_text_bytes); !valid.ok()) {
          decision = screens_.before_send->Failed(absl::InvalidArgumentError(
              common::StrCat("the hook's rewrite is no valid message: ", valid.message())));
          if (decision.action == Action::kRefuse) return reply(decision.refusal);
          return Route(session, req, std::move(reply), sent_at, std::move(turn));
        }
        Route(session, rewritten,
              Flagging(std::move(reply), &client::SendMessageResponse::set_rewritten), sent_at,
              std::move(turn));
      });
}

void MessageHandlers::Route(const internal::SessionContext& session,
                            const client::SendMessageRequest& req, Reply reply, SentAt sent_at,
                            Turn turn) {
  if (req.group_id() != 0) {
    return SendToGroup(session, req, std::move(reply), sent_at, std::move(turn));
  }
  if (turn == nullptr) turn = order_.Arrive(session.access_node_id(), session.conn_id());
  LookUpPeer(*users_, session, req.to_user(), "cannot send a message to yourself",
             [this, session, req, reply, turn, sent_at](absl::StatusOr<internal::User> recipient) {
               if (!recipient.ok()) return reply(recipient.status());
               CheckAndAppend(session, req, std::move(*recipient), reply, 1, turn, sent_at);
             });
}

void MessageHandlers::CheckAndAppend(internal::SessionContext session,
                                     client::SendMessageRequest req, internal::User recipient,
                                     Reply reply, int attempt, Turn turn, SentAt sent_at) {
  if (auto cached = relations_->Find(session.user_id(), recipient.user_id());
      cached && MaySendDirect(*cached, config_.DefaultMessagePolicy(), recipient.username()).ok()) {
    return DecideAndAppend(std::move(session), std::move(req), std::move(recipient),
                           std::move(reply), attempt, *cached, std::move(turn), sent_at);
  }
  internal::UserPair pair;
  pair.set_user_id(session.user_id());
  pair.set_peer_id(recipient.user_id());
  storage_->GetRelation(std::move(pair), [this, session, req, recipient, reply, attempt, turn,
                                          sent_at](absl::StatusOr<internal::Relation> relation) {
    if (!relation.ok()) return reply(relation.status());
    relations_->Put(session.user_id(), recipient.user_id(), *relation);
    DecideAndAppend(session, req, recipient, reply, attempt, *relation, turn, sent_at);
  });
}

void MessageHandlers::DecideAndAppend(internal::SessionContext session,
                                      client::SendMessageRequest req, internal::User recipient,
                                      Reply reply, int attempt, const internal::Relation& relation,
                                      Turn turn, SentAt sent_at) {
  if (absl::Status allowed =
          MaySendDirect(relation, config_.DefaultMessagePolicy(), recipient.username());
      !allowed.ok()) {
    return reply(allowed);
  }
  internal::AppendMessageRequest append;
  append.set_sender_id(session.user_id());
  append.set_sender_device(session.device_id());
  append.set_recipient_id(recipient.user_id());
  append.set_client_msg_id(req.client_msg_id());
  append.set_kind(KindOf(req));
  append.set_text(KindOf(req) == "text" ? req.text() : req.payload());
  append.set_check_relation(true);
  append.set_sender_relation_version(relation.user_version());
  append.set_recipient_relation_version(relation.peer_version());
  RecordEvent(session, recipient.username(), &append);
  auto submit = [this, session, req, recipient, reply, attempt, sent_at,
                 append = std::move(append)]() mutable {
    storage_->AppendMessage(
        std::move(append), [this, session, req, recipient, reply, attempt,
                            sent_at](absl::StatusOr<internal::AppendMessageResponse> stored) {
          if (stored.status().code() == absl::StatusCode::kFailedPrecondition) {
            // A block, unfriend or policy change committed after the decision
            // (or the cached relation was stale): decide again on a fresh read.
            relations_->Forget(session.user_id(), recipient.user_id());
            if (attempt < kMaxRelationAttempts) {
              return CheckAndAppend(session, req, recipient, reply, attempt + 1, nullptr, sent_at);
            }
            return reply(absl::AbortedError("permissions changed while sending; try again"));
          }
          if (!stored.ok()) return reply(stored.status());
          AnswerAndPush(session, req, recipient, *stored, reply, sent_at);
        });
  };
  if (turn == nullptr) return submit();
  turn->WhenFirst([turn, submit = std::move(submit)]() mutable {
    submit();
    turn->Done();
  });
}

void MessageHandlers::SendToGroup(const internal::SessionContext& session,
                                  const client::SendMessageRequest& req, Reply reply,
                                  SentAt sent_at, Turn turn) {
  // Membership, mute and mute-all are checked by storage under the group's
  // lock, so a kick or mute racing this send is either before or after it.
  internal::AppendMessageRequest append;
  append.set_sender_id(session.user_id());
  append.set_sender_device(session.device_id());
  append.set_group_id(req.group_id());
  append.set_client_msg_id(req.client_msg_id());
  append.set_kind(KindOf(req));
  append.set_text(KindOf(req) == "text" ? req.text() : req.payload());
  RecordEvent(session, "", &append);
  auto submit = [this, session, req, reply, sent_at, append = std::move(append)]() mutable {
    storage_->AppendMessage(
        std::move(append), [this, session, req, reply,
                            sent_at](absl::StatusOr<internal::AppendMessageResponse> stored) {
          if (!stored.ok()) return reply(stored.status());
          Answer(session, *stored, reply);
          if (stored->duplicate()) return;
          client::ChatMessage message = StoredMessage(session, req, *stored);
          message.set_group_id(req.group_id());
          fanout_->PushGroupMessage(message, stored->member_count(), session.access_node_id(),
                                    session.conn_id(), sent_at);
        });
  };
  if (turn == nullptr) return submit();
  turn->WhenFirst([turn, submit = std::move(submit)]() mutable {
    submit();
    turn->Done();
  });
}

void MessageHandlers::RecordEvent(const internal::SessionContext& session,
                                  const std::string& recipient,
                                  internal::AppendMessageRequest* append) const {
  if (!config_.RecordsWebhookEvents()) return;
  internal::OutboxEvent* event = append->mutable_webhook_event();
  event->set_type("message.sent");
  event->mutable_message()->set_sender(session.username());
  event->mutable_message()->set_recipient(recipient);
}

void MessageHandlers::Answer(const internal::SessionContext& session,
                             const internal::AppendMessageResponse& stored, const Reply& reply) {
  internal::HandleResponse response;
  auto* sent = response.mutable_frame()->mutable_send_message();
  sent->set_msg_id(stored.msg_id());
  sent->set_conv_id(stored.conv_id());
  sent->set_seq(stored.seq());
  sent->set_sent_at_ms(stored.sent_at_ms());
  reply(std::move(response));
  static const auto log = common::GetLogger("message");
  log->debug("event=stored uid={} msg={} conv={} seq={} dup={}", session.user_id(), stored.msg_id(),
             stored.conv_id(), stored.seq(), stored.duplicate());
}

client::ChatMessage MessageHandlers::StoredMessage(const internal::SessionContext& session,
                                                   const client::SendMessageRequest& req,
                                                   const internal::AppendMessageResponse& stored) {
  client::ChatMessage message;
  message.set_msg_id(stored.msg_id());
  message.set_conv_id(stored.conv_id());
  message.set_seq(stored.seq());
  message.set_sender_id(session.user_id());
  message.set_sender(session.username());
  message.set_kind(KindOf(req));
  if (message.kind() == "text") {
    message.set_text(req.text());
  } else {
    message.set_payload(req.payload());
  }
  message.set_sent_at_ms(stored.sent_at_ms());
  return message;
}

void MessageHandlers::AnswerAndPush(const internal::SessionContext& session,
                                    const client::SendMessageRequest& req,
                                    const internal::User& recipient,
                                    const internal::AppendMessageResponse& stored,
                                    const Reply& reply, SentAt sent_at) {
  client::ServerFrame event;
  *event.mutable_message() = StoredMessage(session, req, stored);
  event.mutable_message()->set_recipient(recipient.username());
  if (desks_ != nullptr && desks_->RoutesTo(recipient.username(), session.username())) {
    // The ack means the desk has the conversation, so it is routed first. If
    // routing fails the sender is answered UNAVAILABLE and sends again: the
    // resend stores nothing twice and is routed again.
    return desks_->RouteCustomer(
        session, recipient, event.message(), /*tell_agent=*/!stored.duplicate(),
        [this, session, recipient, event, stored, reply, sent_at](absl::Status routed) mutable {
          if (!routed.ok()) {
            return reply(absl::UnavailableError(common::StrCat(
                "the desk ", recipient.username(), " could not take the message; send it again")));
          }
          AnswerAndPushStored(session, recipient, std::move(event), stored, reply, sent_at);
        });
  }
  AnswerAndPushStored(session, recipient, std::move(event), stored, reply, sent_at);
}

void MessageHandlers::AnswerAndPushStored(const internal::SessionContext& session,
                                          const internal::User& recipient,
                                          client::ServerFrame event,
                                          const internal::AppendMessageResponse& stored,
                                          const Reply& reply, SentAt sent_at) {
  Answer(session, stored, reply);
  if (stored.duplicate()) return;  // delivered (or synced) the first time
  if (stored.has_routes()) {  // storage looked them up with the append
    return fanout_->PushToRoutes(stored.routes(), event, session.access_node_id(),
                                 session.conn_id(), sent_at);
  }
  fanout_->PushToUsers({recipient.user_id(), session.user_id()}, std::move(event),
                       session.access_node_id(), session.conn_id(), sent_at);
}

}  // namespace im::logic
