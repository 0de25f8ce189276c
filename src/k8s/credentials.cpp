#include "k8s/credentials.h"

#include <condition_variable>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/json_read.h"
#include "common/time_format.h"
#include "k8s/transport_setup.h"

namespace mr::k8s {
namespace {

std::string trimToken(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' '))
    s.pop_back();
  return s;
}

class StaticTokenSource final : public TokenSource {
 public:
  explicit StaticTokenSource(std::string token) : token_(std::move(token)) {}
  Result<std::string> token() override { return token_; }

 private:
  std::string token_;
};

class FileTokenSource final : public TokenSource {
 public:
  FileTokenSource(std::string path, const Clock& clock, Millis every)
      : path_(std::move(path)), clock_(clock), every_(every) {}

  Result<std::string> token() override {
    std::lock_guard lock(mu_);
    const SteadyTime now = clock_.steadyNow();
    if (loaded_ && now - read_at_ < every_) return token_;
    std::ifstream in(path_);
    if (!in) {
      // Keep serving the last good token if the file is briefly missing during rotation.
      if (loaded_) return token_;
      return unavailable("cannot read token file " + path_);
    }
    std::stringstream buffer;
    buffer << in.rdbuf();
    token_ = trimToken(buffer.str());
    loaded_ = true;
    read_at_ = now;
    return token_;
  }
  void invalidate() override {
    std::lock_guard lock(mu_);
    read_at_ = SteadyTime();
  }

 private:
  std::string path_;
  const Clock& clock_;
  Millis every_;
  std::mutex mu_;
  std::string token_;
  bool loaded_ = false;
  SteadyTime read_at_{};
};

// The plugin runs outside the lock: one caller refreshes at a time; the others use the cached
// token while it has not expired yet, or wait for the refresh's result.
class ExecTokenSource final : public TokenSource {
 public:
  ExecTokenSource(ExecConfig config, const Clock& clock, std::optional<ExecCredential> first)
      : config_(std::move(config)), clock_(clock), cached_(std::move(first)) {}

  Result<std::string> token() override {
    std::unique_lock lock(mu_);
    for (;;) {
      const SystemTime now = clock_.now();
      if (usable(now + std::chrono::seconds(10))) return cached_->token;  // fresh enough
      if (!refreshing_) break;
      if (usable(now)) return cached_->token;  // still valid while another caller refreshes
      const uint64_t seen = generation_;
      cv_.wait(lock, [&] { return generation_ != seen; });
      if (!last_error_.isOk()) return last_error_;
    }
    refreshing_ = true;
    lock.unlock();
    auto fresh = runExecPlugin(config_);
    if (fresh.isOk() && fresh->token.empty()) {
      fresh = unavailable("exec plugin " + config_.command + " returned no token");
    }
    lock.lock();
    refreshing_ = false;
    ++generation_;
    cv_.notify_all();
    if (!fresh.isOk()) {
      last_error_ = fresh.status();
      return last_error_;
    }
    last_error_ = Status::ok();
    cached_ = std::move(*fresh);
    return cached_->token;
  }
  void invalidate() override {
    std::lock_guard lock(mu_);
    cached_.reset();
  }

 private:
  bool usable(SystemTime at) const {
    return cached_ && !cached_->token.empty() &&
           (!cached_->expiration || at < *cached_->expiration);
  }

  ExecConfig config_;
  const Clock& clock_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<ExecCredential> cached_;
  bool refreshing_ = false;
  uint64_t generation_ = 0;
  Status last_error_;
};

}  // namespace

std::shared_ptr<TokenSource> makeStaticTokenSource(std::string token) {
  return std::make_shared<StaticTokenSource>(std::move(token));
}

std::shared_ptr<TokenSource> makeFileTokenSource(std::string path, const Clock& clock,
                                                 Millis reread_every) {
  return std::make_shared<FileTokenSource>(std::move(path), clock, reread_every);
}

std::shared_ptr<TokenSource> makeExecTokenSource(ExecConfig config, const Clock& clock,
                                                 std::optional<ExecCredential> first) {
  return std::make_shared<ExecTokenSource>(std::move(config), clock, std::move(first));
}

Result<ExecCredential> parseExecCredential(const std::string& json_text,
                                           const std::string& api_version) {
  const nlohmann::json doc = nlohmann::json::parse(json_text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return invalidArgument("exec plugin output is not a JSON object");
  }
  if (jsonString(doc, "kind") != "ExecCredential") {
    return invalidArgument("exec plugin output is not an ExecCredential");
  }
  if (const std::string v = jsonString(doc, "apiVersion");
      !api_version.empty() && !v.empty() && v != api_version) {
    return invalidArgument("exec plugin answered apiVersion " + v + ", not " + api_version);
  }
  const nlohmann::json& status = jsonObject(doc, "status");
  ExecCredential out;
  out.token = jsonString(status, "token");
  out.client_certificate_pem = jsonString(status, "clientCertificateData");
  out.client_key_pem = jsonString(status, "clientKeyData");
  if (out.token.empty() && (out.client_certificate_pem.empty() || out.client_key_pem.empty())) {
    return invalidArgument(
        "ExecCredential has neither a string token nor client certificate and key");
  }
  if (Status s = validateHeader("Authorization", "Bearer " + out.token); !s.isOk()) {
    return invalidArgument("ExecCredential token contains a control character");
  }
  if (const std::string exp = jsonString(status, "expirationTimestamp"); !exp.empty()) {
    auto t = parseRfc3339(exp);
    if (!t.isOk()) return t.status().withContext("ExecCredential expirationTimestamp");
    out.expiration = *t;
  }
  return out;
}

}  // namespace mr::k8s
