#include "k8s/credentials.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/time_format.h"

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

class ExecTokenSource final : public TokenSource {
 public:
  ExecTokenSource(ExecConfig config, const Clock& clock, std::optional<ExecCredential> first)
      : config_(std::move(config)), clock_(clock), cached_(std::move(first)) {}

  Result<std::string> token() override {
    std::lock_guard lock(mu_);
    if (cached_ && !cached_->token.empty() &&
        (!cached_->expiration || clock_.now() + std::chrono::seconds(10) < *cached_->expiration)) {
      return cached_->token;
    }
    auto fresh = runExecPlugin(config_);
    if (!fresh.isOk()) return fresh.status();
    if (fresh->token.empty()) return unavailable("exec plugin returned no token");
    cached_ = std::move(*fresh);
    return cached_->token;
  }
  void invalidate() override {
    std::lock_guard lock(mu_);
    cached_.reset();
  }

 private:
  ExecConfig config_;
  const Clock& clock_;
  std::mutex mu_;
  std::optional<ExecCredential> cached_;
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

Result<ExecCredential> parseExecCredential(const std::string& json_text) {
  nlohmann::json doc = nlohmann::json::parse(json_text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return invalidArgument("exec plugin output is not JSON");
  }
  if (doc.value("kind", "") != "ExecCredential") {
    return invalidArgument("exec plugin output is not an ExecCredential");
  }
  const nlohmann::json status = doc.value("status", nlohmann::json::object());
  ExecCredential out;
  out.token = status.value("token", "");
  out.client_certificate_pem = status.value("clientCertificateData", "");
  out.client_key_pem = status.value("clientKeyData", "");
  if (out.token.empty() && (out.client_certificate_pem.empty() || out.client_key_pem.empty())) {
    return invalidArgument("ExecCredential has neither token nor client certificate and key");
  }
  if (const std::string exp = status.value("expirationTimestamp", ""); !exp.empty()) {
    auto t = parseRfc3339(exp);
    if (!t.isOk()) return t.status().withContext("ExecCredential expirationTimestamp");
    out.expiration = *t;
  }
  return out;
}

Result<ExecCredential> runExecPlugin(const ExecConfig& config) {
  if (config.command.empty()) return invalidArgument("exec plugin has no command");
  const std::string api_version =
      config.api_version.empty() ? "client.authentication.k8s.io/v1" : config.api_version;
  const std::string exec_info = nlohmann::json{
      {"apiVersion", api_version},
      {"kind", "ExecCredential"},
      {"spec",
       {{"interactive", false}}}}.dump();
  int out_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0)
    return internalError("pipe: " + std::string(strerror(errno)));
  const pid_t pid = fork();
  if (pid < 0) return internalError("fork: " + std::string(strerror(errno)));
  if (pid == 0) {
    dup2(out_pipe[1], STDOUT_FILENO);
    const int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    if (!config.working_dir.empty() && chdir(config.working_dir.c_str()) != 0) _exit(126);
    setenv("KUBERNETES_EXEC_INFO", exec_info.c_str(), 1);
    for (const auto& [k, v] : config.env)
      setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(config.command.c_str()));
    for (const std::string& a : config.args)
      argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  close(out_pipe[1]);
  std::string output;
  char buffer[4096];
  for (;;) {
    const ssize_t n = read(out_pipe[0], buffer, sizeof buffer);
    if (n > 0) {
      output.append(buffer, static_cast<size_t>(n));
      if (output.size() > (1u << 20)) break;  // a credential is never this big
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  close(out_pipe[0]);
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    return unavailable("exec plugin " + config.command + " failed with status " +
                       std::to_string(WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1));
  }
  auto parsed = parseExecCredential(output);
  if (!parsed.isOk()) return parsed.status().withContext("exec plugin " + config.command);
  return parsed;
}

}  // namespace mr::k8s
