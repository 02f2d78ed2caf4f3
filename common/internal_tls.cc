#include "common/internal_tls.h"

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "common/logging.h"
#include "common/str_cat.h"

namespace im::common {
namespace {

absl::StatusOr<std::string> ReadFile(std::string_view key, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (!in || !(text << in.rdbuf())) {
    return absl::InvalidArgumentError(StrCat("internal_tls.", key, " ", path, ": cannot read"));
  }
  return text.str();
}

std::string OpenSslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "not valid PEM";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

// What a TLS handshake would find wrong with these files, checked at start so
// that a bad file stops the daemon with its name instead of failing every
// connection later.
absl::Status CheckFiles(const InternalTlsSettings& s) {
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_method()), SSL_CTX_free);
  if (ctx == nullptr) return absl::InternalError("cannot make an OpenSSL context");
  auto bad = [](std::string_view key, const std::string& path, std::string_view why) {
    return absl::InvalidArgumentError(StrCat("internal_tls.", key, " ", path, ": ", why));
  };
  ERR_clear_error();
  if (SSL_CTX_load_verify_locations(ctx.get(), s.ca_file.c_str(), nullptr) != 1) {
    return bad("ca_file", s.ca_file, OpenSslError());
  }
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), s.cert_file.c_str()) != 1) {
    return bad("cert_file", s.cert_file, OpenSslError());
  }
  const bool key_loaded =
      SSL_CTX_use_PrivateKey_file(ctx.get(), s.key_file.c_str(), SSL_FILETYPE_PEM) == 1;
  if (!key_loaded && ERR_GET_REASON(ERR_peek_last_error()) != X509_R_KEY_VALUES_MISMATCH) {
    return bad("key_file", s.key_file, OpenSslError());
  }
  if (!key_loaded || SSL_CTX_check_private_key(ctx.get()) != 1) {
    ERR_clear_error();
    return bad("key_file", s.key_file,
               StrCat("does not match internal_tls.cert_file ", s.cert_file));
  }
  X509* leaf = SSL_CTX_get0_certificate(ctx.get());
  STACK_OF(X509)* chain = nullptr;
  SSL_CTX_get0_chain_certs(ctx.get(), &chain);
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> verify(X509_STORE_CTX_new(),
                                                                         X509_STORE_CTX_free);
  if (verify == nullptr ||
      X509_STORE_CTX_init(verify.get(), SSL_CTX_get_cert_store(ctx.get()), leaf, chain) != 1) {
    return absl::InternalError("cannot make an OpenSSL verify context");
  }
  if (X509_verify_cert(verify.get()) != 1) {
    return bad("cert_file", s.cert_file,
               StrCat("not signed by internal_tls.ca_file ", s.ca_file, " (",
                      X509_verify_cert_error_string(X509_STORE_CTX_get_error(verify.get())), ")"));
  }
  if (X509_check_host(leaf, s.server_name.data(), s.server_name.size(), 0, nullptr) != 1) {
    return bad("cert_file", s.cert_file,
               StrCat("does not name \"", s.server_name, "\" (internal_tls.server_name)"));
  }
  return absl::OkStatus();
}

}  // namespace

void InternalTlsSettings::Describe(ConfigSchema& schema) {
  schema.Add("internal_tls.ca_file", &ca_file,
             "CA certificate (PEM) of the internal plane: with cert_file and key_file, gRPC "
             "between the tiers is TLS and every peer must present a certificate it signed");
  schema.Add("internal_tls.cert_file", &cert_file,
             "this daemon's internal certificate chain (PEM), presented as server and as client");
  schema.Add("internal_tls.key_file", &key_file, "private key (PEM) of internal_tls.cert_file");
  schema.Add("internal_tls.server_name", &server_name,
             "the DNS name every internal certificate carries; servers are checked against it "
             "whatever address they are reached at");
}

absl::Status InternalTlsSettings::Validate() const {
  const int set = !ca_file.empty() + !cert_file.empty() + !key_file.empty();
  if (set != 0 && set != 3) {
    return absl::InvalidArgumentError(
        "internal_tls: set ca_file, cert_file and key_file together (or none, for plaintext)");
  }
  if (set == 3 && server_name.empty()) {
    return absl::InvalidArgumentError("internal_tls.server_name: must not be empty");
  }
  return absl::OkStatus();
}

InternalCredentials InternalCredentials::Insecure() {
  InternalCredentials credentials;
  credentials.server_ = grpc::InsecureServerCredentials();
  credentials.channel_ = grpc::InsecureChannelCredentials();
  return credentials;
}

absl::StatusOr<InternalCredentials> InternalCredentials::Load(const InternalTlsSettings& s) {
  if (auto valid = s.Validate(); !valid.ok()) return valid;
  if (!s.enabled()) return Insecure();
  if (auto checked = CheckFiles(s); !checked.ok()) return checked;
  auto ca = ReadFile("ca_file", s.ca_file);
  auto cert = ReadFile("cert_file", s.cert_file);
  auto key = ReadFile("key_file", s.key_file);
  if (!ca.ok()) return ca.status();
  if (!cert.ok()) return cert.status();
  if (!key.ok()) return key.status();

  grpc::SslServerCredentialsOptions server(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  server.pem_root_certs = *ca;
  server.pem_key_cert_pairs.push_back({*key, *cert});
  grpc::SslCredentialsOptions channel;
  channel.pem_root_certs = *ca;
  channel.pem_private_key = *key;
  channel.pem_cert_chain = *cert;

  InternalCredentials credentials;
  credentials.server_ = grpc::SslServerCredentials(server);
  credentials.channel_ = grpc::SslCredentials(channel);
  credentials.server_name_ = s.server_name;
  return credentials;
}

InternalCredentials LoadInternalCredentialsOrExit(const std::string& program,
                                                  const InternalTlsSettings& settings) {
  auto credentials = InternalCredentials::Load(settings);
  if (!credentials.ok()) {
    std::cerr << program << ": configuration error: " << credentials.status().message() << "\n";
    std::exit(2);
  }
  if (credentials->secure()) {
    GetLogger("internal_tls")
        ->info("event=internal_plane mode=mtls ca={} cert={} server_name={}", settings.ca_file,
               settings.cert_file, settings.server_name);
  } else {
    GetLogger("internal_tls")
        ->warn(
            "event=internal_plane mode=plaintext hint=\"set internal_tls.* unless every internal "
            "port is reachable only by the cluster\"");
  }
  return *std::move(credentials);
}

}  // namespace im::common
