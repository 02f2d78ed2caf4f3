#pragma once
// Customer-service desks in MySQL (migration 007_desks.sql). A desk is a
// service account; a ticket is one customer's open conversation with it,
// held by one agent, or queued (agent 0) while no agent is online. Logic
// decides who the desk's agents are and which of them are online; storage
// keeps the tickets and makes each decision under the desk's lock (its
// users row), so two customers routed at once both see the other's ticket
// when they count an agent's open conversations. The messages themselves are
// ordinary 1:1 messages between the customer and the desk account.
// Thread-safe; blocking: call from a worker thread.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "storage.pb.h"
#include "storage/user_store.h"

namespace im::storage {

class DeskStore {
 public:
  explicit DeskStore(MysqlPool* pool) : pool_(pool) {}

  // The customer's open ticket with the desk, opened if there is none. A
  // ticket without an agent goes to the agent of `online_agents` with the
  // fewest open tickets (the first listed of those tied); with none online
  // it stays queued. NOT_FOUND if the desk account does not exist.
  absl::StatusOr<internal::DeskTicket> Route(std::uint64_t desk_id, std::uint64_t customer_id,
                                             const std::vector<std::uint64_t>& online_agents);

  // Gives `agent_id` the desk's queued tickets, oldest first, up to `limit`:
  // the ones it got (assigned set).
  absl::StatusOr<std::vector<internal::DeskTicket>> AssignQueued(std::uint64_t desk_id,
                                                                 std::uint64_t agent_id,
                                                                 std::uint32_t limit);

  // The ids of the users named (unknown names left out), ascending.
  absl::StatusOr<std::vector<std::uint64_t>> UserIds(const std::vector<std::string>& names);

  // The customer's open ticket; NOT_FOUND if there is none.
  absl::StatusOr<internal::DeskTicket> Open(std::uint64_t desk_id, std::uint64_t customer_id);

  // Moves the customer's open ticket from `agent_id` to `to_agent_id`.
  // NOT_FOUND without an open ticket; PERMISSION_DENIED unless `agent_id`
  // holds it.
  absl::StatusOr<internal::DeskTicket> Transfer(std::uint64_t desk_id, std::uint64_t customer_id,
                                                std::uint64_t agent_id,
                                                std::uint64_t to_agent_id);

  // Closes the customer's open ticket (their next message opens a new one).
  // NOT_FOUND and PERMISSION_DENIED as for Transfer.
  absl::StatusOr<internal::DeskTicket> Close(std::uint64_t desk_id, std::uint64_t customer_id,
                                             std::uint64_t agent_id);

  // The agent's open tickets and the desk's queue.
  absl::StatusOr<internal::DeskView> View(std::uint64_t desk_id, std::uint64_t agent_id);

 private:
  // Runs `change` in a transaction holding the desk's lock.
  template <typename Change>
  absl::Status UnderDeskLock(std::uint64_t desk_id, Change change);

  MysqlPool* pool_;
};

}  // namespace im::storage
