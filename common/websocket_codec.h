#pragma once
// WebSocket (RFC 6455) framing as plain values and functions, with no I/O:
// the client's upgrade request and the check of its answer, the accept key
// a server answers with, frames out (masked, as a client's must be, or
// unmasked, as a server's are), and a decoder for frames in. Shared by
// im-cli's blocking transport, im-bench's non-blocking connections and
// im-access's WebSocket port. Not thread-safe; a decoder belongs to one
// connection.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace im::common {

enum WebSocketOpcode : std::uint8_t {
  kWsContinuation = 0x0,
  kWsText = 0x1,
  kWsBinary = 0x2,
  kWsClose = 0x8,
  kWsPing = 0x9,
  kWsPong = 0xA,
};

inline constexpr std::uint64_t kMaxWebSocketMessageBytes = 16 << 20;

// A fresh Sec-WebSocket-Key (16 random bytes, base64).
std::string NewWebSocketKey();
// Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key + GUID)).
std::string WebSocketAcceptFor(std::string_view key);
// The HTTP/1.1 upgrade request for `path` on `host_port` with `key`.
std::string WebSocketUpgradeRequest(const std::string& host_port, const std::string& path,
                                    const std::string& key);
// A server's 101 answer to an upgrade request carrying `key`.
std::string WebSocketUpgradeAnswer(std::string_view key);

// Judges the bytes received so far in answer to an upgrade with `key`:
// nothing while the response head is incomplete; else OK with
// `*head_bytes` set to the head's length (bytes after it are frames), or
// UNAVAILABLE with the reason (the status line of a refusal, a mismatched
// accept key, a head over 8 KiB).
std::optional<absl::Status> CheckWebSocketUpgrade(std::string_view received, const std::string& key,
                                                  std::size_t* head_bytes);

// One frame with FIN set, masked with `mask` as a client's must be.
std::string EncodeWebSocketFrame(std::uint8_t opcode, std::string_view payload, std::uint32_t mask);
// Appends the same to `out` (no intermediate copy of the payload).
void AppendWebSocketFrame(std::string& out, std::uint8_t opcode, std::string_view payload,
                          std::uint32_t mask);
// Appends one unmasked frame with FIN set, as a server sends them.
void AppendServerWebSocketFrame(std::string& out, std::uint8_t opcode, std::string_view payload);

// Reassembles frames as they arrive: whole data messages (fragments joined)
// and control frames, in arrival order. Once everything received has been
// taken it holds no buffer, so an idle connection costs little.
class WebSocketDecoder {
 public:
  struct Message {
    std::uint8_t opcode;  // kWsBinary or kWsText for data, else a control frame
    std::string payload;
  };

  // `require_masked`: a server's decoder, which refuses unmasked frames.
  explicit WebSocketDecoder(std::uint64_t max_message_bytes = kMaxWebSocketMessageBytes,
                            bool require_masked = false)
      : max_message_bytes_(max_message_bytes), require_masked_(require_masked) {}

  void Append(std::string_view bytes);
  // The next message, or nothing until more bytes arrive (or after an
  // error: RESOURCE_EXHAUSTED for a message over the maximum,
  // INVALID_ARGUMENT for a continuation with no message to continue, a
  // fragmented control frame or, with `require_masked`, an unmasked frame).
  std::optional<Message> Next();
  const absl::Status& status() const { return status_; }

 private:
  std::uint64_t max_message_bytes_;
  bool require_masked_;
  std::string buffer_;
  std::size_t consumed_ = 0;
  std::string fragments_;              // a data message not finished yet
  std::uint8_t fragments_opcode_ = 0;  // its opcode; 0: none in progress
  absl::Status status_;
};

}  // namespace im::common
