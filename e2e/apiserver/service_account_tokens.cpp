#include "service_account_tokens.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "encoding.h"

namespace mr::apiserver {

using json = nlohmann::json;

namespace {

std::string base64Url(const std::string& in) {
  std::string s = base64Encode(in);
  while (!s.empty() && s.back() == '=')
    s.pop_back();
  std::replace(s.begin(), s.end(), '+', '-');
  std::replace(s.begin(), s.end(), '/', '_');
  return s;
}

std::optional<std::string> fromBase64Url(std::string s) {
  std::replace(s.begin(), s.end(), '-', '+');
  std::replace(s.begin(), s.end(), '_', '/');
  while (s.size() % 4)
    s += '=';
  Result<std::string> r = base64Decode(s);
  if (!r.isOk()) return std::nullopt;
  return r.value();
}

int64_t unixSeconds(SystemTime t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

ServiceAccountTokens::ServiceAccountTokens() {
  unsigned char k[32];
  if (RAND_bytes(k, sizeof(k)) != 1) {
    for (size_t i = 0; i < sizeof(k); ++i)
      k[i] = static_cast<unsigned char>(randomUuid()[i]);
  }
  key_.assign(reinterpret_cast<const char*>(k), sizeof(k));
}

std::string ServiceAccountTokens::sign(const std::string& data) const {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string ServiceAccountTokens::issue(const ServiceAccountToken& c, SystemTime now) const {
  json header = {{"alg", "HS256"}, {"kid", "mr-test-apiserver"}};
  json claims = {{"aud", c.audiences},
                 {"exp", unixSeconds(c.expires)},
                 {"iat", unixSeconds(now)},
                 {"iss", kApiAudience},
                 {"jti", randomUuid()},
                 {"kubernetes.io",
                  {{"namespace", c.ns}, {"serviceaccount", {{"name", c.name}, {"uid", c.uid}}}}},
                 {"nbf", unixSeconds(now)},
                 {"sub", "system:serviceaccount:" + c.ns + ":" + c.name}};
  std::string signing_input = base64Url(header.dump()) + "." + base64Url(claims.dump());
  return signing_input + "." + base64Url(sign(signing_input));
}

std::optional<ServiceAccountToken> ServiceAccountTokens::verify(const std::string& token,
                                                                SystemTime now) const {
  size_t d1 = token.find('.');
  size_t d2 = d1 == std::string::npos ? d1 : token.find('.', d1 + 1);
  if (d2 == std::string::npos) return std::nullopt;
  std::string signing_input = token.substr(0, d2);
  // Compared as text, in its one canonical encoding: decoding first would ignore the unused low
  // bits of the last character, so a token with that character changed would still verify.
  std::string sig = token.substr(d2 + 1);
  std::string want = base64Url(sign(signing_input));
  if (sig.size() != want.size() || CRYPTO_memcmp(sig.data(), want.data(), want.size()) != 0)
    return std::nullopt;
  std::optional<std::string> payload = fromBase64Url(token.substr(d1 + 1, d2 - d1 - 1));
  if (!payload) return std::nullopt;
  json c = json::parse(*payload, nullptr, false);
  if (!c.is_object() || !c.contains("exp") || !c["exp"].is_number_integer()) return std::nullopt;
  if (c["exp"].get<int64_t>() <= unixSeconds(now)) return std::nullopt;
  const json k8s = c.value("kubernetes.io", json::object());
  const json sa = k8s.is_object() ? k8s.value("serviceaccount", json::object()) : json();
  if (!sa.is_object() || !k8s.contains("namespace") || !k8s["namespace"].is_string() ||
      !sa.contains("name") || !sa["name"].is_string() || !sa.contains("uid") ||
      !sa["uid"].is_string())
    return std::nullopt;
  ServiceAccountToken t;
  t.ns = k8s["namespace"].get<std::string>();
  t.name = sa["name"].get<std::string>();
  t.uid = sa["uid"].get<std::string>();
  t.expires = SystemTime(std::chrono::seconds(c["exp"].get<int64_t>()));
  if (c.contains("aud") && c["aud"].is_array()) {
    for (const auto& a : c["aud"])
      if (a.is_string()) t.audiences.push_back(a.get<std::string>());
  }
  if (std::find(t.audiences.begin(), t.audiences.end(), kApiAudience) == t.audiences.end())
    return std::nullopt;
  return t;
}

}  // namespace mr::apiserver
