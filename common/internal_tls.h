#pragma once
// The internal plane's credentials: gRPC between the tiers (access -> logic,
// logic -> storage, logic -> access push) over TLS with client certificates
// required on both sides (mTLS), or plaintext where config leaves it off.
//
// With internal_tls.ca_file, cert_file and key_file set, a daemon's gRPC
// server accepts only peers whose certificate the CA signed, and its channels
// present its own certificate and accept only servers whose certificate the
// CA signed for internal_tls.server_name (one name every internal
// certificate carries, so replicas can be reached at any address). Files are
// read once at start; rotate certificates by restarting the daemon.
//
// Value type; cheap to copy (the credentials are shared and thread-safe).

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/config_schema.h"

namespace im::common {

struct InternalTlsSettings {
  std::string ca_file;    // PEM: the CA that signs every internal certificate
  std::string cert_file;  // PEM: this daemon's certificate chain (server and client)
  std::string key_file;   // PEM: its private key
  std::string server_name = "im-internal";  // the name checked in servers' certificates

  // Binds the settings as internal_tls.* keys.
  void Describe(ConfigSchema& schema);
  // INVALID_ARGUMENT unless all three files are set, or none.
  absl::Status Validate() const;
  bool enabled() const { return !ca_file.empty(); }
};

class InternalCredentials {
 public:
  // Plaintext gRPC (internal TLS off, and tests of the internal services).
  static InternalCredentials Insecure();
  // Reads and checks the files: each is PEM, the key matches the certificate,
  // the CA signed it, and it names server_name. INVALID_ARGUMENT naming the
  // setting and file otherwise. Insecure() when settings are not enabled().
  static absl::StatusOr<InternalCredentials> Load(const InternalTlsSettings& settings);

  bool secure() const { return !server_name_.empty(); }
  const std::shared_ptr<grpc::ServerCredentials>& server() const { return server_; }
  const std::shared_ptr<grpc::ChannelCredentials>& channel() const { return channel_; }
  // The name servers' certificates must carry; empty when insecure.
  const std::string& server_name() const { return server_name_; }

 private:
  InternalCredentials() = default;

  std::shared_ptr<grpc::ServerCredentials> server_;
  std::shared_ptr<grpc::ChannelCredentials> channel_;
  std::string server_name_;
};

// For daemon main() functions: Load(), or print the error as a configuration
// error of `program` and exit 2. Logs whether the internal plane is mTLS.
InternalCredentials LoadInternalCredentialsOrExit(const std::string& program,
                                                  const InternalTlsSettings& settings);

}  // namespace im::common
