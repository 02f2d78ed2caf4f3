#include "tests/delivery/delivery_checker.h"

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "client-cli/im_client.h"
#include "client-cli/inbox.h"
#include "common/str_cat.h"

namespace im::testing {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr int kSendAttempts = 6;
constexpr milliseconds kSendTimeout{2000};
// How long one device may take to reconnect and catch up after the load.
constexpr milliseconds kSettleBound{30000};

// Where a message goes: a user, or a group.
struct Destination {
  std::string user;
  std::uint64_t group_id = 0;
};

// The groups made before the load: id -> members.
using Groups = std::map<std::uint64_t, std::set<std::string>>;

// What senders did, shared by all device threads.
struct Ledger {
  std::mutex mutex;
  std::map<std::string, std::string> attempted;  // text -> sender
  struct Acked {
    std::string sender;
    std::string sender_device;  // not owed its own message (it has it)
    Destination to;
    std::uint64_t conv_id = 0, seq = 0;  // where it was stored
  };
  std::map<std::uint64_t, Acked> acked;  // msg_id -> who sent it where
};

// One simulated device: a user's device id, its connection, and what it got.
class Device {
 public:
  // The device connects to one of `addresses` (TCP, WebSocket or long-poll ports).
  Device(std::string user, std::string device_id, const DeliveryCheckOptions& options,
         const std::vector<std::string>& addresses, cli::InboxOptions inbox_options)
      : user_(std::move(user)),
        device_id_(std::move(device_id)),
        options_(options),
        addresses_(addresses),
        inbox_(
            nullptr, [this](const client::ChatMessage& m) { delivered_.push_back(m); },
            inbox_options) {}

  const std::string& user() const { return user_; }
  const std::string& device_id() const { return device_id_; }
  const std::vector<client::ChatMessage>& delivered() const { return delivered_; }
  std::uint64_t redelivered_after_ack() const { return inbox_.redelivered_after_ack(); }
  std::uint64_t reconnects() const { return reconnects_; }
  const std::vector<std::string>& addresses() const { return addresses_; }

  // Connects (to a random access node) and catches up, retrying until `until`.
  bool EnsureConnected(std::mt19937& rng, Clock::time_point until) {
    while (client_ == nullptr || !client_->connected()) {
      if (Clock::now() > until) return false;
      client_.reset();
      const auto& address = addresses_[rng() % addresses_.size()];
      auto client = cli::ImClient::Connect(address, milliseconds(1000));
      if (client.ok() && (*client)->Login(user_, options_.password, device_id_).ok()) {
        client_ = std::move(*client);
        inbox_.Rebind(client_.get());
        ++reconnects_;
        if (inbox_.CatchUp().ok()) break;
        client_.reset();
      }
      std::this_thread::sleep_for(milliseconds(50));
    }
    return true;
  }

  void Disconnect() { client_.reset(); }

  // Handles whatever arrived; a failure just means "reconnect later".
  void Drain() {
    if (client_ == nullptr) return;
    for (;;) {
      auto event = client_->NextEvent(milliseconds(0));
      if (!event.ok()) {
        if (event.status().code() != absl::StatusCode::kDeadlineExceeded) return Disconnect();
        if (!inbox_.Flush().ok()) Disconnect();
        return;
      }
      if (event->has_kick()) return Disconnect();
      if (!inbox_.Handle(*event).ok()) return Disconnect();
    }
  }

  // Sends one message, resending with the same client id across timeouts and
  // reconnects. Returns the ack, if one came.
  std::optional<client::SendMessageResponse> Send(std::mt19937& rng, const Destination& to,
                                                  const std::string& text,
                                                  Clock::time_point until) {
    const std::string client_id = cli::NewClientMessageId();
    for (int attempt = 0; attempt < kSendAttempts; ++attempt) {
      if (!EnsureConnected(rng, until)) return std::nullopt;
      client::ClientFrame frame;
      if (to.group_id != 0) {
        frame.mutable_send_message()->set_group_id(to.group_id);
      } else {
        frame.mutable_send_message()->set_to_user(to.user);
      }
      frame.mutable_send_message()->set_text(text);
      frame.mutable_send_message()->set_client_msg_id(client_id);
      auto sent = client_->Request(std::move(frame), kSendTimeout);
      if (sent.ok()) {
        inbox_.NoteOwnSend(sent->send_message());
        return sent->send_message();
      }
      if (sent.status().code() != absl::StatusCode::kUnavailable &&
          sent.status().code() != absl::StatusCode::kDeadlineExceeded) {
        return std::nullopt;  // refused for good
      }
      Disconnect();
    }
    return std::nullopt;
  }

 private:
  std::string user_;
  std::string device_id_;
  const DeliveryCheckOptions& options_;
  const std::vector<std::string>& addresses_;
  std::unique_ptr<cli::ImClient> client_;
  cli::Inbox inbox_;
  std::vector<client::ChatMessage> delivered_;
  std::uint64_t reconnects_ = 0;
};

void RegisterUsers(const DeliveryCheckOptions& options, const std::vector<std::string>& users) {
  auto client = cli::ImClient::Connect(options.access_addresses.front());
  if (!client.ok()) return;
  for (const auto& u : users) (*client)->Register(u, options.password).IgnoreError();
}

// Group g is created by users[g % n] with the next group_size - 1 users.
Groups CreateGroups(const DeliveryCheckOptions& options, const std::vector<std::string>& users) {
  Groups groups;
  const std::size_t size = options.group_size > 0
                               ? std::min<std::size_t>(options.group_size, users.size())
                               : users.size();
  for (int g = 0; g < options.groups; ++g) {
    const std::string& owner = users[g % users.size()];
    auto client = cli::ImClient::Connect(options.access_addresses.front());
    if (!client.ok() || !(*client)->Login(owner, options.password, "setup").ok()) continue;
    client::ClientFrame create;
    create.mutable_group_create()->set_name(common::StrCat("dc-group-", g));
    std::set<std::string> members = {owner};
    for (std::size_t i = 1; i < size; ++i) {
      const std::string& member = users[(g + i) % users.size()];
      create.mutable_group_create()->add_members(member);
      members.insert(member);
    }
    auto created = (*client)->Request(std::move(create));
    if (created.ok()) groups[created->group_create().group_id()] = std::move(members);
  }
  return groups;
}

Destination PickDestination(std::mt19937& rng, const std::string& me,
                            const std::vector<std::string>& users, const Groups& groups,
                            int group_send_percent) {
  std::vector<std::uint64_t> mine;
  for (const auto& [id, members] : groups) {
    if (members.count(me) != 0) mine.push_back(id);
  }
  if (!mine.empty() && static_cast<int>(rng() % 100) < group_send_percent) {
    return Destination{"", mine[rng() % mine.size()]};
  }
  std::string to;
  do to = users[rng() % users.size()];
  while (to == me);
  return Destination{to, 0};
}

void RunDevice(Device& device, const std::vector<std::string>& users, const Groups& groups,
               const DeliveryCheckOptions& options, unsigned seed, Clock::time_point until,
               Ledger& ledger, std::atomic<std::uint64_t>& counter) {
  std::mt19937 rng(seed);
  while (Clock::now() < until) {
    if (!device.EnsureConnected(rng, until)) break;
    device.Drain();
    const unsigned roll = rng() % 100;
    if (roll < 75) {
      const Destination to =
          PickDestination(rng, device.user(), users, groups, options.group_send_percent);
      const std::string text = common::StrCat(device.user(), "#", counter++);
      {
        std::lock_guard lock(ledger.mutex);
        ledger.attempted[text] = device.user();
      }
      if (auto ack = device.Send(rng, to, text, until)) {
        std::lock_guard lock(ledger.mutex);
        ledger.acked[ack->msg_id()] = {device.user(), device.device_id(), to, ack->conv_id(),
                                       ack->seq()};
      }
    } else if (roll < 82) {
      device.Disconnect();
    }
    std::this_thread::sleep_for(options.pause_between_actions);
  }
}

// Whether `user` should have received the acknowledged message.
// Whether `device` of `user` must get the message: every device of everyone
// in the conversation, but the device that sent it.
bool IsOwed(const Ledger::Acked& acked, const std::string& user, const std::string& device,
            const Groups& groups) {
  if (acked.sender == user) return acked.sender_device != device;
  if (acked.to.group_id == 0) return acked.to.user == user;
  auto group = groups.find(acked.to.group_id);
  return group != groups.end() && group->second.count(user) != 0;
}

}  // namespace

std::string TransportCounts::Summary() const {
  return common::StrCat("devices=", devices, " deliveries=", deliveries, " lost=", lost,
                        " duplicated=", duplicated, " reordered=", reordered,
                        " unexpected=", unexpected, " unsettled=", unsettled);
}

std::string DeliveryCheckReport::Summary() const {
  std::string summary = common::StrCat(
      "devices=", devices, " send_attempts=", send_attempts, " acked=", acked,
      " group_acked=", group_acked, " deliveries=", deliveries, " reconnects=", reconnects,
      " lost=", lost, " duplicated=", duplicated, " reordered=", reordered,
      " unexpected=", unexpected, " unsettled=", unsettled);
  if (websocket.devices != 0 || long_poll.devices != 0) {
    summary += common::StrCat("; tcp: ", tcp.Summary(), "; websocket: ", websocket.Summary(),
                              "; long-poll: ", long_poll.Summary());
  }
  for (const std::string& example : lost_examples) summary += "\n  lost: " + example;
  return summary;
}

DeliveryCheckReport RunDeliveryCheck(const DeliveryCheckOptions& options) {
  std::mt19937 rng(options.seed);
  std::vector<std::string> users;
  for (int u = 0; u < options.users; ++u) users.push_back(common::StrCat(options.name_prefix, u));
  RegisterUsers(options, users);
  const Groups groups = CreateGroups(options, users);
  // The transports devices take in turn.
  std::vector<const std::vector<std::string>*> transports{&options.access_addresses};
  if (!options.websocket_addresses.empty()) transports.push_back(&options.websocket_addresses);
  if (!options.poll_addresses.empty()) transports.push_back(&options.poll_addresses);
  std::vector<std::unique_ptr<Device>> devices;
  for (const auto& u : users) {
    const int n = 1 + static_cast<int>(rng() % options.max_devices_per_user);
    for (int d = 0; d < n; ++d) {
      // Half the devices ack at once and sync on any gap; the others batch
      // acks and wait a little for crossed pushes, as a busy client would.
      const cli::InboxOptions inbox_options =
          d % 2 == 0 ? cli::InboxOptions{} : cli::InboxOptions{milliseconds(50), milliseconds(100)};
      devices.push_back(std::make_unique<Device>(u, common::StrCat("dev", d), options,
                                                 *transports[devices.size() % transports.size()],
                                                 inbox_options));
    }
  }

  Ledger ledger;
  std::atomic<std::uint64_t> counter{0};
  const auto until = Clock::now() + options.duration;
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < devices.size(); ++i) {
    threads.emplace_back(RunDevice, std::ref(*devices[i]), std::cref(users), std::cref(groups),
                         std::cref(options), options.seed * 7919 + static_cast<unsigned>(i), until,
                         std::ref(ledger), std::ref(counter));
  }
  if (options.fault) {
    threads.emplace_back([&] {
      std::mt19937 fault_rng(options.seed + 1);
      while (Clock::now() + options.fault_every < until) {
        std::this_thread::sleep_for(options.fault_every);
        options.fault(fault_rng);
      }
    });
  }
  for (auto& t : threads) t.join();

  // Quiescence: every device reconnects and syncs everything there is, all at
  // once (as clients do after an outage), each within its own bound so a
  // broken server cannot hang the check.
  std::vector<char> settled(devices.size(), 0);
  threads.clear();
  for (std::size_t i = 0; i < devices.size(); ++i) {
    threads.emplace_back([&, i] {
      std::mt19937 settle_rng(options.seed * 104729 + static_cast<unsigned>(i));
      Device& d = *devices[i];
      d.Disconnect();
      settled[i] = d.EnsureConnected(settle_rng, Clock::now() + kSettleBound);
      d.Disconnect();
    });
  }
  for (auto& t : threads) t.join();

  DeliveryCheckReport report;
  report.send_attempts = ledger.attempted.size();
  report.acked = ledger.acked.size();
  for (const auto& [msg_id, acked] : ledger.acked) report.acked_msg_ids.push_back(msg_id);
  for (const auto& [msg_id, acked] : ledger.acked) report.group_acked += acked.to.group_id != 0;
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::uint64_t> id_at;  // (conv, seq) -> msg
  for (std::size_t i = 0; i < devices.size(); ++i) {
    const auto& d = devices[i];
    TransportCounts& counts = &d->addresses() == &options.websocket_addresses ? report.websocket
                              : &d->addresses() == &options.poll_addresses   ? report.long_poll
                                                                             : report.tcp;
    ++counts.devices;
    if (!settled[i]) ++counts.unsettled;
    report.reconnects += d->reconnects();
    counts.duplicated += d->redelivered_after_ack();
    std::set<std::uint64_t> got;
    std::map<std::uint64_t, std::uint64_t> last_seq;  // conv -> seq
    for (const auto& m : d->delivered()) {
      ++counts.deliveries;
      if (!got.insert(m.msg_id()).second) ++counts.duplicated;
      auto& last = last_seq[m.conv_id()];
      if (m.seq() <= last) ++counts.reordered;
      last = m.seq();
      auto sender = ledger.attempted.find(m.text());
      const bool system = m.kind() == "system" && groups.count(m.group_id()) != 0;
      if (!system && (sender == ledger.attempted.end() || sender->second != m.sender())) {
        ++counts.unexpected;
      }
      auto [slot, fresh] = id_at.emplace(std::make_pair(m.conv_id(), m.seq()), m.msg_id());
      if (!fresh && slot->second != m.msg_id()) ++counts.unexpected;
    }
    // Every acknowledged message of a conversation this user is in.
    if (!settled[i]) continue;
    for (const auto& [msg_id, acked] : ledger.acked) {
      if (IsOwed(acked, d->user(), d->device_id(), groups) && got.count(msg_id) == 0) {
        ++counts.lost;
        if (report.lost_examples.size() < 10) {
          // What the device has of that conversation around the lost seq:
          // below it and above it means the device moved past a gap.
          std::uint64_t below = 0, above = 0;
          for (const auto& m : d->delivered()) {
            if (m.conv_id() != acked.conv_id) continue;
            if (m.seq() < acked.seq) below = std::max<std::uint64_t>(below, m.seq());
            if (m.seq() > acked.seq && (above == 0 || m.seq() < above)) above = m.seq();
          }
          report.lost_examples.push_back(common::StrCat(
              msg_id, " (conv ", acked.conv_id, " seq ", acked.seq, ") to ", d->user(), "/",
              d->device_id(), " from ", acked.sender, "/", acked.sender_device,
              acked.to.group_id != 0 ? ", group " : "",
              acked.to.group_id != 0 ? std::to_string(acked.to.group_id) : std::string(),
              "; the device has seq ", below, " before it and ", above,
              " after it (0: none), ", got.size(), " messages in all"));
        }
      }
    }
  }
  for (const TransportCounts* counts : {&report.tcp, &report.websocket, &report.long_poll}) {
    report.devices += counts->devices;
    report.deliveries += counts->deliveries;
    report.lost += counts->lost;
    report.duplicated += counts->duplicated;
    report.reordered += counts->reordered;
    report.unexpected += counts->unexpected;
    report.unsettled += counts->unsettled;
  }
  return report;
}

}  // namespace im::testing
