#include "client-cli/client_transport.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>

#include "common/str_cat.h"

namespace im::cli {
namespace {

class Plain final : public ClientTransport {
 public:
  explicit Plain(int fd) : fd_(fd) {}
  ~Plain() override { close(fd_); }

  std::size_t Receive(char* buffer, std::size_t size) override {
    for (;;) {
      const ssize_t n = recv(fd_, buffer, size, 0);
      if (n < 0 && errno == EINTR) continue;
      return n > 0 ? static_cast<std::size_t>(n) : 0;
    }
  }

  absl::Status Send(std::string_view bytes) override {
    while (!bytes.empty()) {
      const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        return absl::UnavailableError(common::StrCat("connection lost: ", std::strerror(errno)));
      }
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return absl::OkStatus();
  }

  void Shutdown() override { shutdown(fd_, SHUT_RDWR); }
  bool encrypted() const override { return false; }

 private:
  const int fd_;
};

std::string OpenSslError() {
  const unsigned long code = ERR_get_error();
  if (code == 0) return "connection closed";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

// Waits until `fd` is ready for what SSL asked for (error: SSL_ERROR_WANT_*).
// False on timeout, hang-up or an error other than WANT_READ / WANT_WRITE.
bool WaitFor(int fd, int ssl_error, int timeout_ms) {
  pollfd p{fd, 0, 0};
  if (ssl_error == SSL_ERROR_WANT_READ) {
    p.events = POLLIN;
  } else if (ssl_error == SSL_ERROR_WANT_WRITE) {
    p.events = POLLOUT;
  } else {
    return false;
  }
  for (;;) {
    const int ready = poll(&p, 1, timeout_ms);
    if (ready < 0 && errno == EINTR) continue;
    return ready == 1;
  }
}

// OpenSSL serialised by one mutex, over a non-blocking socket: a reader
// waits in poll() without the lock, so writers are never held up by it.
class Tls final : public ClientTransport {
 public:
  Tls(int fd, SSL_CTX* context, SSL* ssl) : fd_(fd), context_(context), ssl_(ssl) {}
  ~Tls() override {
    SSL_free(ssl_);
    SSL_CTX_free(context_);
    close(fd_);
  }

  std::size_t Receive(char* buffer, std::size_t size) override {
    for (;;) {
      int n = 0;
      int error = 0;
      {
        std::lock_guard lock(mutex_);
        if (shut_down_) return 0;
        ERR_clear_error();
        n = SSL_read(ssl_, buffer, static_cast<int>(size));
        if (n <= 0) error = SSL_get_error(ssl_, n);
      }
      if (n > 0) return static_cast<std::size_t>(n);
      if (!WaitFor(fd_, error, -1)) return 0;
    }
  }

  absl::Status Send(std::string_view bytes) override {
    while (!bytes.empty()) {
      int n = 0;
      int error = 0;
      {
        std::lock_guard lock(mutex_);
        if (shut_down_) return absl::UnavailableError("connection lost: closed");
        ERR_clear_error();
        n = SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size()));
        if (n <= 0) error = SSL_get_error(ssl_, n);
        if (n <= 0 && error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) {
          return absl::UnavailableError(common::StrCat("connection lost: ", OpenSslError()));
        }
      }
      if (n > 0) {
        bytes.remove_prefix(static_cast<std::size_t>(n));
        continue;
      }
      // WANT_READ: the reader thread takes in what the write waits for.
      WaitFor(fd_, error, error == SSL_ERROR_WANT_READ ? 50 : -1);
    }
    return absl::OkStatus();
  }

  bool encrypted() const override { return true; }
  void Shutdown() override {
    {
      std::lock_guard lock(mutex_);
      shut_down_ = true;
    }
    shutdown(fd_, SHUT_RDWR);  // wakes a reader in poll()
  }

 private:
  const int fd_;
  SSL_CTX* const context_;
  SSL* const ssl_;
  std::mutex mutex_;
  bool shut_down_ = false;
};

bool IsIpAddress(const std::string& host) {
  unsigned char ip[16];
  return inet_pton(AF_INET, host.c_str(), ip) == 1 || inet_pton(AF_INET6, host.c_str(), ip) == 1;
}

// What to do when the server's certificate chain ends at a CA nobody named.
std::string UntrustedHint(long verify_result, const TlsOptions& tls) {
  switch (verify_result) {
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      return tls.ca_file.empty()
                 ? " (no CA this system trusts signed the server's certificate: for a development "
                   "CA, pass --ca FILE, e.g. the ca.pem that deploy/run-local.sh names)"
                 : common::StrCat(" (", tls.ca_file, " did not sign the server's certificate)");
    default:
      return "";
  }
}

// OpenSSL's words for a handshake answered by something that is not TLS.
bool LooksLikePlainTcp(const std::string& reason) {
  return reason.find("wrong version number") != std::string::npos ||
         reason.find("packet length too long") != std::string::npos ||
         reason.find("record layer failure") != std::string::npos;
}

}  // namespace

std::string TlsPortHint(std::string_view first_bytes) {
  // A TLS record starts with its type (21 alert, 22 handshake) and version 3.x.
  const bool tls_record = first_bytes.size() >= 2 &&
                          (first_bytes[0] == '\x15' || first_bytes[0] == '\x16') &&
                          first_bytes[1] == '\x03';
  if (tls_record) {
    return "this port speaks TLS (the server answered with a TLS record): pass --tls, or --ca FILE "
           "for a server with a development certificate";
  }
  if (first_bytes.empty()) {
    return "it closed before answering anything; if this port speaks TLS, pass --tls, or --ca "
           "FILE for a server with a development certificate";
  }
  return "";
}

std::unique_ptr<ClientTransport> PlainTransport(int fd) { return std::make_unique<Plain>(fd); }

absl::StatusOr<std::unique_ptr<ClientTransport>> TlsTransport(int fd, const std::string& host,
                                                              const TlsOptions& tls,
                                                              int timeout_ms) {
  const auto failed = [&](const std::string& reason) {
    return absl::UnavailableError(common::StrCat("TLS handshake with ", host, " failed: ", reason));
  };
  // OpenSSL writes with write(2): a peer that hung up would kill the process
  // with SIGPIPE instead of failing the write.
  static const bool sigpipe_ignored = [] { return signal(SIGPIPE, SIG_IGN) != SIG_ERR; }();
  (void)sigpipe_ignored;
  SSL_CTX* context = SSL_CTX_new(TLS_client_method());
  if (context == nullptr) {
    close(fd);
    return failed(OpenSslError());
  }
  SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
  SSL_CTX_set_mode(context, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nullptr);
  const int loaded = tls.ca_file.empty()
                         ? SSL_CTX_set_default_verify_paths(context)
                         : SSL_CTX_load_verify_locations(context, tls.ca_file.c_str(), nullptr);
  if (loaded != 1) {
    const std::string reason = OpenSslError();
    SSL_CTX_free(context);
    close(fd);
    return absl::InvalidArgumentError(
        common::StrCat("cannot read the CA file ", tls.ca_file, ": ", reason));
  }
  SSL* ssl = SSL_new(context);
  SSL_set_fd(ssl, fd);
  if (IsIpAddress(host)) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl, host.c_str());
    SSL_set1_host(ssl, host.c_str());
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    ERR_clear_error();
    const int done = SSL_connect(ssl);
    if (done == 1) break;
    const int error = SSL_get_error(ssl, done);
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !WaitFor(fd, error, static_cast<int>(left.count()))) {
      std::string reason = error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE
                               ? std::string("timed out")
                               : OpenSslError();
      const long verified = SSL_get_verify_result(ssl);
      if (verified != X509_V_OK) {
        reason = common::StrCat(X509_verify_cert_error_string(verified), UntrustedHint(verified, tls));
      } else if (LooksLikePlainTcp(reason)) {
        reason += " (the server did not answer in TLS: if this port speaks plain TCP, leave out "
                  "--tls and --ca)";
      }
      SSL_free(ssl);
      SSL_CTX_free(context);
      close(fd);
      return failed(reason);
    }
  }
  return std::unique_ptr<ClientTransport>(std::make_unique<Tls>(fd, context, ssl));
}

std::optional<ServerUrl> ParseServerUrl(std::string_view address, std::string_view scheme,
                                        std::string_view default_path) {
  ServerUrl url;
  const std::size_t colon = address.find("://");
  if (colon == std::string_view::npos) return std::nullopt;
  const std::string_view given = address.substr(0, colon);
  if (given == scheme) {
    url.secure = false;
  } else if (given.size() == scheme.size() + 1 && given.starts_with(scheme) && given.back() == 's') {
    url.secure = true;
  } else {
    return std::nullopt;
  }
  address.remove_prefix(colon + 3);
  const std::size_t slash = address.find('/');
  url.host_port = std::string(address.substr(0, slash));
  url.path = slash == std::string_view::npos ? std::string(default_path)
                                             : std::string(address.substr(slash));
  while (url.path.size() > 1 && url.path.back() == '/') url.path.pop_back();
  return url;
}

}  // namespace im::cli
