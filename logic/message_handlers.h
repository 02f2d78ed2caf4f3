#pragma once
// SendMessage (1:1 text). The message is committed by storage before the
// sender's success response; only then is it pushed to the recipient's
// devices and the sender's other devices. Thread-safe; asynchronous.

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

  const LogicConfig& config_;
  StorageClient* storage_;
  PushFanout* fanout_;
};

}  // namespace im::logic
