#include "storage/ack_writer.h"

namespace im::storage {
namespace {

constexpr std::size_t kMaxDevicesPerBatch = 500;
constexpr std::size_t kMaxWaiting = 20000;

}  // namespace

AckWriter::AckWriter(ConversationStore* conversations, std::size_t threads,
                     std::chrono::microseconds gather)
    : conversations_(conversations),
      committer_(
          threads, kMaxDevicesPerBatch, kMaxWaiting,
          [this](std::vector<Pending>& batch) { Commit(batch); }, gather) {}

bool AckWriter::Submit(std::uint64_t user_id, std::string device_id,
                       std::vector<internal::ConversationSeq> acks, Done done) {
  Pending pending{user_id, std::move(device_id), std::move(acks), std::move(done)};
  return committer_.Submit(pending);
}

void AckWriter::Commit(std::vector<Pending>& batch) {
  std::vector<DeviceAck> rows;
  for (const Pending& p : batch) {
    for (const auto& a : p.acks) rows.push_back({p.user_id, p.device_id, a.conv_id(), a.seq()});
  }
  const absl::Status status = conversations_->AckMany(std::move(rows));
  for (Pending& p : batch) p.done(status);
}

}  // namespace im::storage
