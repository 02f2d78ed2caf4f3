#pragma once
// HTTP long-poll under ImClient, for networks that let only HTTP through
// (the server side: access/poll_http_connection.h).
//
// The transport keeps ClientTransport's byte-stream contract, so ImClient
// reads it as it reads TCP. Send takes length-prefixed frames (split
// anywhere) and POSTs each one: to PATH/login until a login is answered with
// a session token, then to PATH/request with "Authorization: Bearer TOKEN";
// it returns once the answer came, and Receive hands the answer out. Once
// logged in, a poller thread holds GET PATH/events on a connection of its own
// and hands Receive whatever each poll brings (pushes, kicks).
//
// A failure (a connection lost, or an HTTP error such as 401 or 410) ends the
// stream as a lost TCP connection would: Receive returns 0, and the client
// reconnects, logs in again and syncs; error() says what happened. A
// connection the server closed between requests (keep-alive) is opened
// again once. Shutdown POSTs PATH/close when a session is open (ending it on
// the server at once, rather than at its idle timeout), then ends the stream.
// Thread-safety as ClientTransport: one thread in Receive, Sends serialised
// by the caller, Shutdown from any thread.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "client-cli/client_transport.h"

namespace im::cli {

// A long-poll address: http://HOST:PORT/PATH or https://HOST:PORT/PATH
// ("/poll" when the URL names no path).
using PollUrl = ServerUrl;
inline std::optional<PollUrl> ParsePollUrl(std::string_view address) {
  return ParseServerUrl(address, "http", "/poll");
}

// Opens a new stream to the server (plain or TLS), or says why it cannot.
using Connector = std::function<absl::StatusOr<std::unique_ptr<ClientTransport>>()>;

// A long-poll transport to `url` that sends its first requests on `first`
// (a connection to the server) and opens more with `connect`.
std::unique_ptr<ClientTransport> PollTransport(Connector connect, const PollUrl& url,
                                               std::unique_ptr<ClientTransport> first);

}  // namespace im::cli
