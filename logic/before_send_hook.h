#pragma once
// BeforeSendHook asks the operator's before_send webhook about a send before
// it is stored. It POSTs the message as a webhook::Event (type
// "message.before_send", proto/webhook.proto) and reads a webhook::Verdict:
// allow; refuse (nothing is stored, the sender is told the reason); or
// rewrite (the new text, or payload for a typed message, is what is stored
// and delivered). When the hook fails (no answer within its timeout, a
// status other than 2xx, an answer that is no verdict, too many calls
// waiting), the operator's choice applies: allow (fail open) or refuse (fail
// closed, UNAVAILABLE: the client may send again). Failures are counted and
// logged. Thread-safe; `done` runs once, on the webhook client's thread or
// the caller's, and must not block.

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "client.pb.h"
#include "common/metrics.h"
#include "logic.pb.h"
#include "logic/webhook_client.h"
#include "webhook.pb.h"

namespace im::logic {

class BeforeSendHook {
 public:
  enum class OnFailure { kAllow, kRefuse };
  struct Decision {
    enum class Action { kAllow, kRefuse, kRewrite };
    Action action = Action::kAllow;
    std::string content;  // kRewrite: the text, or a typed message's payload
    absl::Status refusal;  // kRefuse: what the sender is told
  };

  // `client` and `metrics` (may be null) outlive the hook.
  BeforeSendHook(WebhookClient* client, OnFailure on_failure, common::Metrics* metrics);

  void Ask(const internal::SessionContext& session, const client::SendMessageRequest& req,
           std::function<void(Decision)> done);

  // The message as the hook sees it (kind "text" when empty).
  static webhook::Event EventOf(const internal::SessionContext& session,
                                const client::SendMessageRequest& req);
  // The hook's answer as a decision, or why it is none. `typed`: the message
  // is image/file/custom (a rewrite then brings a payload).
  static absl::StatusOr<Decision> ReadAnswer(const WebhookClient::Answer& answer, bool typed);

  // What a send gets when the hook failed for `why` (logged and counted):
  // allowed, or refused UNAVAILABLE, as the operator chose.
  Decision Failed(const absl::Status& why) const;

 private:

  WebhookClient* client_;
  OnFailure on_failure_;
  common::MetricCounter* allowed_ = nullptr;
  common::MetricCounter* refused_ = nullptr;
  common::MetricCounter* rewritten_ = nullptr;
  common::MetricCounter* failed_ = nullptr;
};

}  // namespace im::logic
