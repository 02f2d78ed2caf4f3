#pragma once
// Length-prefixed framing for the client protocol: a 4-byte big-endian body
// length, then the body (one serialized protobuf message).
//
// FrameDecoder reassembles frames from bytes as they arrive, split anywhere,
// and rejects a length over the configured maximum before allocating for it.
// Once every received frame has been handed out it holds no buffer.
// It is a plain value: not thread-safe, owned by one connection.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace google::protobuf {
class MessageLite;
}

namespace im::common {

inline constexpr std::size_t kFrameHeaderBytes = 4;
inline constexpr std::size_t kDefaultMaxFrameBytes = 1 << 20;

// Returns the frame (header + serialized body) for `message`.
std::string EncodeFrame(const google::protobuf::MessageLite& message);
// Appends the frame of an already serialized `body` (its header, then it) to `out`.
void AppendFrame(std::string& out, std::string_view body);

class FrameDecoder {
 public:
  explicit FrameDecoder(std::size_t max_frame_bytes = kDefaultMaxFrameBytes)
      : max_frame_bytes_(max_frame_bytes) {}

  // Appends received bytes. Returns status().
  absl::Status Append(std::string_view bytes);

  // Returns the next complete body, if one has been received. The view is valid
  // until the next call to Append or Next. Returns nothing once status() is an error.
  std::optional<std::string_view> Next();

  // OK, or RESOURCE_EXHAUSTED once a header announced a body over the maximum;
  // the stream cannot recover from that (the connection should be closed).
  const absl::Status& status() const { return status_; }

  // Applies to frames whose header has not been read yet.
  void set_max_frame_bytes(std::size_t max_frame_bytes) { max_frame_bytes_ = max_frame_bytes; }

  // Bytes held for a frame not yet complete.
  std::size_t buffered_bytes() const { return buffer_.size() - consumed_; }

 private:
  void CheckNextHeader();

  std::size_t max_frame_bytes_;
  std::string buffer_;
  std::size_t consumed_ = 0;  // bytes of buffer_ already returned by Next
  absl::Status status_;
};

}  // namespace im::common
