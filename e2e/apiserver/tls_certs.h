// Self-signed TLS material for the test API server: a CA and a server certificate for
// 127.0.0.1/localhost signed by it, written as PEM files to a directory (ca.crt, server.crt,
// server.key), and an SSL_CTX that serves them offering only ALPN "http/1.1".
// Thread-safety: call from main() before serving.
#pragma once

#include <openssl/ssl.h>

#include <string>

#include "common/status.h"

namespace mr::apiserver {

struct TlsMaterial {
  std::string ca_pem;
  std::string cert_pem;
  std::string key_pem;
};

// Generates fresh material (EC P-256 keys, 1-year validity). `subject_alt_names` is the server
// certificate's subjectAltName in OpenSSL's config syntax (tests use other names).
Result<TlsMaterial> generateTlsMaterial(
    const std::string& subject_alt_names = "IP:127.0.0.1,DNS:localhost");
// Writes ca.crt, server.crt, server.key into `dir` (created if missing).
Status writeTlsMaterial(const TlsMaterial& m, const std::string& dir);
// The caller owns the returned context (SSL_CTX_free).
Result<SSL_CTX*> makeServerContext(const TlsMaterial& m);

}  // namespace mr::apiserver
