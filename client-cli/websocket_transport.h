#pragma once
// WebSocket (RFC 6455) under ImClient, as a browser speaks to im-access: an
// HTTP/1.1 upgrade at a path, then one binary message per protocol frame.
//
// The transport keeps ClientTransport's byte-stream contract, so ImClient
// and its FrameDecoder read WebSocket as they read TCP: Send takes
// length-prefixed frames (split anywhere; bytes that do not complete a frame
// wait for the rest) and sends each body as one masked binary message;
// Receive hands out each binary message the server sends with its 4-byte
// length prefix put back. Pings are answered with pongs; a close frame, a
// text message, a message over 16 MiB or anything malformed ends the stream
// (Receive returns 0). Thread-safety as ClientTransport: one thread in
// Receive, any number in Send (serialised by a mutex that the reader takes
// too when it answers a ping).

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "client-cli/client_transport.h"

namespace im::cli {

// A WebSocket address: ws://HOST:PORT/PATH or wss://HOST:PORT/PATH ("/" when
// the URL names no path).
using WebSocketUrl = ServerUrl;
inline std::optional<WebSocketUrl> ParseWebSocketUrl(std::string_view address) {
  return ParseServerUrl(address, "ws", "/");
}

// Upgrades `inner` (a stream connected to the server, plain or TLS) to a
// WebSocket at `path`, naming `host_port` in the Host header, within
// `timeout_ms`. UNAVAILABLE "WebSocket upgrade at PATH failed: REASON" (the
// server's status line when it refused, e.g. "HTTP/1.1 404 Not Found").
absl::StatusOr<std::unique_ptr<ClientTransport>> WebSocketTransport(
    std::unique_ptr<ClientTransport> inner, const std::string& host_port, const std::string& path,
    int timeout_ms);

}  // namespace im::cli
