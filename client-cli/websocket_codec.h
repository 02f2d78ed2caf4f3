#pragma once
// The client's half of WebSocket (RFC 6455) as plain values and functions,
// with no I/O: the upgrade request and the check of its answer, masked
// frames out, and a decoder for the server's frames. Shared by im-cli's
// blocking transport (websocket_transport.h) and im-bench's non-blocking
// connections. Not thread-safe; a decoder belongs to one connection.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace im::cli {

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
std::string WebSocketAcceptFor(const std::string& key);
// The HTTP/1.1 upgrade request for `path` on `host_port` with `key`.
std::string WebSocketUpgradeRequest(const std::string& host_port, const std::string& path,
                                    const std::string& key);

// Judges the bytes received so far in answer to an upgrade with `key`:
// nothing while the response head is incomplete; else OK with
// `*head_bytes` set to the head's length (bytes after it are frames), or
// UNAVAILABLE with the reason (the status line of a refusal, a mismatched
// accept key, a head over 8 KiB).
std::optional<absl::Status> CheckWebSocketUpgrade(std::string_view received,
                                                  const std::string& key,
                                                  std::size_t* head_bytes);

// One frame with FIN set, masked with `mask` as a client's must be.
std::string EncodeWebSocketFrame(std::uint8_t opcode, std::string_view payload,
                                 std::uint32_t mask);
// Appends the same to `out` (no intermediate copy of the payload).
void AppendWebSocketFrame(std::string& out, std::uint8_t opcode, std::string_view payload,
                          std::uint32_t mask);

// Reassembles what a server sends: whole data messages (fragments joined)
// and control frames, in arrival order.
class WebSocketDecoder {
 public:
  struct Message {
    std::uint8_t opcode;  // kWsBinary or kWsText for data, else a control frame
    std::string payload;
  };

  void Append(std::string_view bytes);
  // The next message, or nothing until more bytes arrive (or after an
  // error: a message over kMaxWebSocketMessageBytes, a continuation with no
  // message to continue, a fragmented control frame).
  std::optional<Message> Next();
  const absl::Status& status() const { return status_; }

 private:
  std::string buffer_;
  std::size_t consumed_ = 0;
  std::string fragments_;       // a data message not finished yet
  std::uint8_t fragments_opcode_ = 0;  // its opcode; 0: none in progress
  absl::Status status_;
};

}  // namespace im::cli
