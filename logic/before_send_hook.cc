#include "logic/before_send_hook.h"

#include "common/logging.h"
#include "common/proto_json.h"
#include "common/str_cat.h"

namespace im::logic {
namespace {

constexpr std::size_t kMaxReasonBytes = 200;

// `text` cut to at most `max` bytes without splitting a UTF-8 character.
std::string Truncated(std::string text, std::size_t max) {
  if (text.size() <= max) return text;
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  text.resize(end);
  return text;
}

}  // namespace

BeforeSendHook::BeforeSendHook(WebhookClient* client, OnFailure on_failure,
                               common::Metrics* metrics)
    : client_(client), on_failure_(on_failure) {
  if (metrics == nullptr) return;
  const std::string name = "im_logic_before_send_total";
  const std::string help = "Sends the before_send webhook was asked about, by outcome.";
  allowed_ = &metrics->Counter(name, help, {{"outcome", "allowed"}});
  refused_ = &metrics->Counter(name, help, {{"outcome", "refused"}});
  rewritten_ = &metrics->Counter(name, help, {{"outcome", "rewritten"}});
  failed_ = &metrics->Counter(name, help, {{"outcome", "hook_failed"}});
}

webhook::Event BeforeSendHook::EventOf(const internal::SessionContext& session,
                                       const client::SendMessageRequest& req) {
  webhook::Event event;
  event.set_type("message.before_send");
  auto* m = event.mutable_message();
  m->set_sender_id(session.user_id());
  m->set_sender(session.username());
  m->set_recipient(req.to_user());
  m->set_group_id(req.group_id());
  m->set_kind(req.kind().empty() ? "text" : req.kind());
  if (m->kind() == "text") {
    m->set_text(req.text());
  } else {
    m->set_payload(req.payload());
  }
  return event;
}

absl::StatusOr<BeforeSendHook::Decision> BeforeSendHook::ReadAnswer(
    const WebhookClient::Answer& answer, bool typed) {
  if (answer.status < 200 || answer.status > 299) {
    return absl::UnavailableError(common::StrCat("the hook answered HTTP ", answer.status));
  }
  webhook::Verdict verdict;
  if (absl::Status read = common::ProtoFromJson(answer.body, &verdict); !read.ok()) {
    return absl::InvalidArgumentError(
        common::StrCat("the hook's answer is not a verdict: ", read.message()));
  }
  Decision decision;
  if (verdict.action() == "allow") return decision;
  if (verdict.action() == "refuse") {
    decision.action = Decision::Action::kRefuse;
    const std::string reason = Truncated(verdict.reason(), kMaxReasonBytes);
    decision.refusal = absl::PermissionDeniedError(
        reason.empty() ? "the server refused this message; nothing was sent"
                       : common::StrCat("the server refused this message: ", reason,
                                        "; nothing was sent"));
    return decision;
  }
  if (verdict.action() == "rewrite") {
    decision.action = Decision::Action::kRewrite;
    decision.content = typed ? verdict.payload() : verdict.text();
    if (decision.content.empty()) {
      return absl::InvalidArgumentError(
          common::StrCat("a rewrite needs a non-empty ", typed ? "payload" : "text"));
    }
    return decision;
  }
  return absl::InvalidArgumentError(common::StrCat(
      "the hook's action '", Truncated(verdict.action(), 32), "' is not allow, refuse or rewrite"));
}

BeforeSendHook::Decision BeforeSendHook::Failed(const absl::Status& why) const {
  if (failed_ != nullptr) failed_->Add();
  static const auto log = common::GetLogger("webhook");
  log->warn("event=before_send_failed on_failure={} error=\"{}\"",
            on_failure_ == OnFailure::kAllow ? "allow" : "refuse", why.message());
  Decision decision;
  if (on_failure_ == OnFailure::kRefuse) {
    decision.action = Decision::Action::kRefuse;
    decision.refusal = absl::UnavailableError(
        "the server could not check this message; nothing was sent, try again later");
  }
  return decision;
}

void BeforeSendHook::Ask(const internal::SessionContext& session,
                         const client::SendMessageRequest& req,
                         std::function<void(Decision)> done) {
  const bool typed = !req.kind().empty() && req.kind() != "text";
  client_->Post(common::ProtoToJson(EventOf(session, req)), {},
                [this, typed, done = std::move(done)](absl::StatusOr<WebhookClient::Answer> answer) {
                  if (!answer.ok()) return done(Failed(answer.status()));
                  auto decision = ReadAnswer(*answer, typed);
                  if (!decision.ok()) return done(Failed(decision.status()));
                  common::MetricCounter* counter =
                      decision->action == Decision::Action::kAllow    ? allowed_
                      : decision->action == Decision::Action::kRefuse ? refused_
                                                                      : rewritten_;
                  if (counter != nullptr) counter->Add();
                  done(std::move(*decision));
                });
}

}  // namespace im::logic
