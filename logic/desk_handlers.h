#pragma once
// The customer-service desk (README "Customer-service desk"). A desk is a
// user account that customers message like anyone; the operator lists its
// agents in `desk_file` (desk_directory.h). Storage keeps one ticket per
// customer and desk (storage/desk_store.h); the messages are the ordinary
// 1:1 conversation between the customer and the desk account, so they are
// stored, ordered and synced for the customer like any other.
//
// - A customer's message to a desk (RouteCustomer, called by
//   MessageHandlers once it is stored and before the customer's ack, so an
//   acked message always has its ticket) routes their ticket: it stays with
//   its agent, or goes to the online agent with the fewest open tickets, or
//   waits in the queue while no agent is online. The agent holding it is
//   pushed a DeskEvent "message".
// - An agent who logs in (OnLoggedIn) is given the queue, oldest first, and
//   pushed a DeskEvent "assigned" for each.
// - Agents' requests (DeskRequest): list their tickets and the queue; read a
//   conversation they hold (history); reply to its customer as the desk (the
//   message is the desk's, with the agent's name in `agent`); transfer it to
//   another agent (pushed "assigned"); close it (the customer's next message
//   opens a new ticket).
// Thread-safe; async. Everything passed in outlives the handlers.

#include <cstdint>
#include <string>

#include "logic/desk_directory.h"
#include "logic/handler_task.h"
#include "logic/logic_config.h"
#include "logic/push_fanout.h"
#include "logic/request_dispatcher.h"
#include "logic/storage_api.h"
#include "logic/user_directory.h"

namespace im::logic {

class DeskHandlers {
 public:
  DeskHandlers(const LogicConfig& config, StorageApi* storage, UserDirectory* users,
               PushFanout* fanout, const DeskDirectoryHolder* directory)
      : config_(config),
        storage_(storage),
        users_(users),
        fanout_(fanout),
        directory_(directory) {}

  void RegisterWith(RequestDispatcher& dispatcher);

  // Whether a message from `sender` to `recipient` is for a desk's agents:
  // `recipient` is a desk and `sender` not one of its agents.
  bool RoutesTo(const std::string& recipient, const std::string& sender) const;
  // `message` (stored, as pushed) went from `customer` to `desk`: routes the
  // customer's ticket, then calls `routed` (OK, or storage's error), then
  // tells the agent holding it (with `tell_agent`: not for a resend).
  void RouteCustomer(const internal::SessionContext& customer, const internal::User& desk,
                     const client::ChatMessage& message, bool tell_agent,
                     std::function<void(absl::Status)> routed);
  // `username` logged in: if an agent, they get their desks' queues.
  void OnLoggedIn(std::uint64_t user_id, const std::string& username);

 private:
  HandlerTask Handle(internal::HandleRequest request, Reply reply);
  HandlerTask Route(internal::SessionContext customer, internal::User desk,
                    std::vector<std::string> agents, client::ChatMessage message, bool tell_agent,
                    std::function<void(absl::Status)> routed);
  HandlerTask AssignQueue(std::uint64_t agent_id, std::string agent, std::string desk);
  // Tells `agent_id`'s devices.
  void Tell(std::uint64_t agent_id, client::DeskEvent event);

  const LogicConfig& config_;
  StorageApi* storage_;
  UserDirectory* users_;
  PushFanout* fanout_;
  const DeskDirectoryHolder* directory_;
};

}  // namespace im::logic
