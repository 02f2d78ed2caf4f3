#pragma once
// The byte stream under ImClient: plain TCP, or TLS (OpenSSL) that verifies
// the server's certificate against a CA file or the system's CAs and checks
// that it names the host (or IP address) connected to. One thread may block
// in Receive while others Send; Shutdown (from any thread) ends both.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace im::cli {

struct TlsOptions {
  bool enabled = false;
  std::string ca_file;  // PEM; empty: the system's CAs
};

class ClientTransport {
 public:
  virtual ~ClientTransport() = default;
  // Blocks until bytes arrive; returns how many (0: the stream ended or failed).
  virtual std::size_t Receive(char* buffer, std::size_t size) = 0;
  // Writes all of `bytes`; UNAVAILABLE "connection lost: ..." if it cannot.
  virtual absl::Status Send(std::string_view bytes) = 0;
  // Ends the stream: a blocked Receive returns 0, later Sends fail.
  virtual void Shutdown() = 0;
  // Whether the stream is TLS.
  virtual bool encrypted() const = 0;
};

// A server address in URL form: SCHEME://HOST:PORT/PATH, the scheme's
// secure form (SCHEME + "s") meaning TLS under it.
struct ServerUrl {
  std::string host_port;  // HOST:PORT, as a TCP address
  std::string path;       // `default_path` when the URL names none; no trailing '/'
  bool secure = false;
};

// The parts of `address` if it starts with SCHEME:// or SCHEMEs://, else nothing.
std::optional<ServerUrl> ParseServerUrl(std::string_view address, std::string_view scheme,
                                        std::string_view default_path);

// For a plain-TCP connection the server closed before sending any frame: a
// hint that the port may speak TLS, judged by the first bytes it sent (a TLS
// record gives it away), or "" if those bytes were something else.
std::string TlsPortHint(std::string_view first_bytes);

// Takes `fd`, a connected blocking TCP socket.
std::unique_ptr<ClientTransport> PlainTransport(int fd);
// Takes `fd` and completes a TLS handshake with `host` within `timeout_ms`.
// The first call makes the process ignore SIGPIPE (OpenSSL writes with
// write(2), so a server that hung up would otherwise kill the client).
// UNAVAILABLE "TLS handshake with HOST failed: REASON" (an untrusted or
// mismatched certificate says so); the fd is closed on failure.
absl::StatusOr<std::unique_ptr<ClientTransport>> TlsTransport(int fd, const std::string& host,
                                                              const TlsOptions& tls,
                                                              int timeout_ms);

}  // namespace im::cli
