#include "tls_certs.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <filesystem>
#include <fstream>
#include <memory>

namespace mr::apiserver {
namespace {

using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using CertPtr = std::unique_ptr<X509, decltype(&X509_free)>;

std::string lastError() {
  unsigned long e = ERR_get_error();
  return e ? ERR_error_string(e, nullptr) : "unknown OpenSSL error";
}

bool addExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ext) return false;
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  return true;
}

CertPtr makeCert(EVP_PKEY* key, const char* cn, long serial, X509* issuer, EVP_PKEY* issuer_key,
                 bool is_ca, const std::string& subject_alt_names = "") {
  CertPtr cert(X509_new(), X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 365L * 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn),
                             -1, -1, 0);
  X509* signer = issuer ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  bool ok = true;
  if (is_ca) {
    ok &= addExt(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    ok &=
        addExt(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
    ok &= addExt(cert.get(), signer, NID_subject_key_identifier, "hash");
  } else {
    ok &= addExt(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    ok &= addExt(cert.get(), signer, NID_key_usage, "critical,digitalSignature,keyEncipherment");
    ok &= addExt(cert.get(), signer, NID_ext_key_usage, "serverAuth");
    ok &= addExt(cert.get(), signer, NID_subject_alt_name, subject_alt_names.c_str());
  }
  if (!ok || X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) == 0) {
    return CertPtr(nullptr, X509_free);
  }
  return cert;
}

std::string certPem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

std::string keyPem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

int selectHttp11(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                 unsigned int inlen, void*) {
  static const unsigned char kProto[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, kProto, sizeof(kProto), in, inlen) ==
      OPENSSL_NPN_NEGOTIATED) {
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
  }
  return SSL_TLSEXT_ERR_NOACK;  // no ALPN agreement: plain HTTP/1.1 anyway
}

}  // namespace

Result<TlsMaterial> generateTlsMaterial(const std::string& subject_alt_names) {
  KeyPtr ca_key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  KeyPtr srv_key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  if (!ca_key || !srv_key) return internalError("key generation: " + lastError());
  CertPtr ca = makeCert(ca_key.get(), "mr-test-apiserver-ca", 1, nullptr, nullptr, true);
  if (!ca) return internalError("CA certificate: " + lastError());
  CertPtr srv = makeCert(srv_key.get(), "mr-test-apiserver", 2, ca.get(), ca_key.get(), false,
                         subject_alt_names);
  if (!srv) return internalError("server certificate: " + lastError());
  return TlsMaterial{certPem(ca.get()), certPem(srv.get()), keyPem(srv_key.get())};
}

Status writeTlsMaterial(const TlsMaterial& m, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return unavailable("create " + dir + ": " + ec.message());
  for (const auto& [file, content] :
       {std::pair{"ca.crt", &m.ca_pem}, std::pair{"server.crt", &m.cert_pem},
        std::pair{"server.key", &m.key_pem}}) {
    std::ofstream out(dir + "/" + file, std::ios::trunc);
    out << *content;
    if (!out) return unavailable("write " + dir + "/" + file);
  }
  std::filesystem::permissions(
      dir + "/server.key", std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
      ec);
  return Status::ok();
}

Result<SSL_CTX*> makeServerContext(const TlsMaterial& m) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) return internalError("SSL_CTX_new: " + lastError());
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  BIO* cb = BIO_new_mem_buf(m.cert_pem.data(), static_cast<int>(m.cert_pem.size()));
  X509* cert = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
  BIO_free(cb);
  BIO* kb = BIO_new_mem_buf(m.key_pem.data(), static_cast<int>(m.key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
  BIO_free(kb);
  bool ok = cert && key && SSL_CTX_use_certificate(ctx, cert) == 1 &&
            SSL_CTX_use_PrivateKey(ctx, key) == 1 && SSL_CTX_check_private_key(ctx) == 1;
  X509_free(cert);
  EVP_PKEY_free(key);
  if (!ok) {
    SSL_CTX_free(ctx);
    return internalError("load server certificate: " + lastError());
  }
  SSL_CTX_set_alpn_select_cb(ctx, selectHttp11, nullptr);
  return ctx;
}

}  // namespace mr::apiserver
