#pragma once
// SendMessage (1:1 text). Every send is checked against the relationship
// chain (MaySendDirect) and appended only if the facts it was decided on still
// hold when it commits (relation versions), so a block racing a send either
// comes after the stored message or refuses it. The message is committed
// before the sender's success response; only then is it pushed to the
// recipient's devices and the sender's other devices. Thread-safe; async.

#include "logic/logic_config.h"
#include "logic/push_fanout.h"
#include "logic/request_dispatcher.h"
#include "logic/storage_client.h"

namespace im::logic {

class MessageHandlers {
 public:
  MessageHandlers(const LogicConfig& config, StorageClient* storage, PushFanout* fanout)
      : config_(config), storage_(storage), fanout_(fanout) {}

  void RegisterWith(RequestDispatcher& dispatcher);

 private:
  void SendMessage(const internal::HandleRequest& request, Reply reply);
  // Reads the relation, decides, appends; decides again if it changed meanwhile.
  void CheckAndAppend(internal::SessionContext session, client::SendMessageRequest req,
                      internal::User recipient, Reply reply, int attempt);
  void AnswerAndPush(const internal::SessionContext& session, const client::SendMessageRequest& req,
                     const internal::User& recipient, const internal::AppendMessageResponse& stored,
                     const Reply& reply);

  const LogicConfig& config_;
  StorageClient* storage_;
  PushFanout* fanout_;
};

}  // namespace im::logic
