#pragma once
// The delivery checker: drives many simulated devices over TCP (and, if given
// WebSocket or long-poll ports, some over those, as browsers and HTTP-only
// clients connect) through random
// sends (resending with the same client_msg_id after a timeout or a lost
// connection), random disconnects and reconnects, and whatever faults the
// caller injects (e.g. killing an im-access), then lets everything settle and
// checks, for every device of every user (and, with `groups`, every member of
// the groups it sends to as well):
//   lost        an acknowledged message the device never received
//   duplicated  a message delivered again after the device's ack was taken
//   reordered   a conversation's messages delivered out of seq order
//   unexpected  a message nobody sent, or one seq carrying different messages
//   unsettled   a device that could not reconnect and catch up once the load
//               and the faults had ended (its messages are not counted as
//               lost: what it would have received is unknown)
// Every count must be zero. Devices behave like real clients: they keep what
// they received across reconnects, sync on connect and ack what they have.

#include <chrono>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace im::testing {

struct DeliveryCheckOptions {
  std::vector<std::string> access_addresses;  // devices connect to a random one
  // ws://HOST:PORT/PATH and http://HOST:PORT/PATH (long-poll) of the same
  // nodes: when given, devices take the transports in turn (TCP, WebSocket,
  // long-poll, TCP, ...), each connecting to one of its transport's addresses.
  std::vector<std::string> websocket_addresses;
  std::vector<std::string> poll_addresses;
  int users = 8;
  int max_devices_per_user = 2;
  std::chrono::milliseconds duration{3000};
  std::chrono::milliseconds pause_between_actions{15};
  std::string password = "correct-horse";
  std::string name_prefix = "dc";
  // Groups of `group_size` users (0: all), created before the load; then
  // `group_send_percent` of the sends go to one of the sender's groups.
  int groups = 0;
  int group_size = 0;
  int group_send_percent = 40;
  unsigned seed = 1;
  // Called every `fault_every` while the load runs (from its own thread).
  std::function<void(std::mt19937&)> fault;
  std::chrono::milliseconds fault_every{1000};
};

// What the devices of one transport received, and what went wrong for them.
struct TransportCounts {
  std::uint64_t devices = 0;
  std::uint64_t deliveries = 0;
  std::uint64_t lost = 0;
  std::uint64_t duplicated = 0;
  std::uint64_t reordered = 0;
  std::uint64_t unexpected = 0;
  std::uint64_t unsettled = 0;
  std::string Summary() const;
};

struct DeliveryCheckReport {
  std::uint64_t devices = 0;
  std::uint64_t send_attempts = 0;  // distinct messages a sender tried
  std::uint64_t acked = 0;          // of those, acknowledged to the sender
  std::vector<std::uint64_t> acked_msg_ids;  // their msg_ids, ascending
  std::uint64_t group_acked = 0;    // of those, sent to a group
  std::uint64_t deliveries = 0;     // (device, message) pairs received
  std::uint64_t reconnects = 0;
  std::uint64_t lost = 0;
  std::uint64_t duplicated = 0;
  std::uint64_t reordered = 0;
  std::uint64_t unexpected = 0;
  std::uint64_t unsettled = 0;
  // The device counts above, split by transport.
  TransportCounts tcp;
  TransportCounts websocket;
  TransportCounts long_poll;
  // The first few losses, "msg_id to user/device (from sender, group G)",
  // for whoever has to find out why.
  std::vector<std::string> lost_examples;

  bool ok() const {
    return lost == 0 && duplicated == 0 && reordered == 0 && unexpected == 0 && unsettled == 0;
  }
  std::string Summary() const;
};

// Registers the users, runs the load, settles, checks. Blocking.
DeliveryCheckReport RunDeliveryCheck(const DeliveryCheckOptions& options);

}  // namespace im::testing
