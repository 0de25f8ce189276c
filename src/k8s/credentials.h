// Bearer-token sources for the REST client: a fixed token, a token file re-read periodically
// (projected service-account tokens rotate; client-go re-reads about every minute), and
// client-go exec credential plugins (a command printing an ExecCredential JSON on stdout).
// Thread-safety: token() and invalidate() are safe from any thread.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace mr::k8s {

class TokenSource {
 public:
  virtual ~TokenSource() = default;
  virtual Result<std::string> token() = 0;
  // Called after a 401 so the next token() fetches a fresh credential.
  virtual void invalidate() {}
};

std::shared_ptr<TokenSource> makeStaticTokenSource(std::string token);
std::shared_ptr<TokenSource> makeFileTokenSource(std::string path, const Clock& clock,
                                                 Millis reread_every = Millis(60000));

struct ExecConfig {
  std::string api_version;  // client.authentication.k8s.io/v1 or v1beta1
  std::string command;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::string working_dir;  // relative commands resolve against the kubeconfig's directory
  Millis timeout{60000};    // the plugin is killed (SIGKILL) after this
};

struct ExecCredential {
  std::string token;
  std::string client_certificate_pem;
  std::string client_key_pem;
  std::optional<SystemTime> expiration;
};

// Runs the plugin (exec_plugin.cpp: posix_spawn with an empty signal mask and default signal
// dispositions, KUBERNETES_EXEC_INFO set, stdin /dev/null, stderr inherited, killed after
// config.timeout or past 1 MiB of output) and parses its ExecCredential.
Result<ExecCredential> runExecPlugin(const ExecConfig& config);
// Type-checked: a field of the wrong type is absent, never a throw. A token with a control
// character is refused (it would inject headers). `api_version` "" accepts any.
Result<ExecCredential> parseExecCredential(const std::string& json_text,
                                           const std::string& api_version = "");

// Caches the plugin's token until 10s before its expiration (or until invalidate()). The
// plugin runs outside the lock, one refresh at a time: while it runs, other callers get the
// cached token if it has not expired yet, else they wait for the refresh's result.
std::shared_ptr<TokenSource> makeExecTokenSource(ExecConfig config, const Clock& clock,
                                                 std::optional<ExecCredential> first = {});

}  // namespace mr::k8s
