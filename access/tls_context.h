#pragma once
// The server TLS context of the client port: TLS 1.2 or newer, the
// certificate chain and key from PEM files, no renegotiation, and OpenSSL's
// record buffers released while a connection is idle.

// clang-format off
#include <utility>  // Boost 1.74's Asio uses std::exchange without including it (C++20)
#include <boost/asio/ssl.hpp>
// clang-format on
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace im::access {

// INVALID_ARGUMENT naming the file and OpenSSL's reason if a file is missing,
// unreadable or the key does not match the certificate.
absl::StatusOr<std::unique_ptr<boost::asio::ssl::context>> MakeServerTlsContext(
    const std::string& cert_file, const std::string& key_file);

}  // namespace im::access
