// runExecPlugin (credentials.h): a client-go exec credential plugin, started with posix_spawn.
// fork() in a multi-threaded process copies locks other threads hold; posix_spawn (vfork +
// exec in glibc) does not run our code in the child. The child gets an empty signal mask and
// default dispositions: the controller blocks SIGTERM/SIGINT in its threads and ignores
// SIGPIPE, and a plugin inheriting that could neither be stopped nor see a closed pipe.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>

#include "k8s/credentials.h"

extern char** environ;

namespace mr::k8s {
namespace {

constexpr size_t kMaxOutput = 1u << 20;  // a credential is never this big

std::string errnoText(const char* what, int err) {
  return std::string(what) + ": " + std::strerror(err);
}

// The child's environment: ours, KUBERNETES_EXEC_INFO, then the config's (which win).
std::vector<std::string> childEnvironment(const ExecConfig& config, const std::string& info) {
  std::map<std::string, std::string> vars;
  for (char** e = environ; e && *e; ++e) {
    const std::string kv = *e;
    const size_t eq = kv.find('=');
    if (eq != std::string::npos) vars[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  vars["KUBERNETES_EXEC_INFO"] = info;
  for (const auto& [k, v] : config.env)
    vars[k] = v;
  std::vector<std::string> out;
  for (const auto& [k, v] : vars)
    out.push_back(k + "=" + v);
  return out;
}

// Owns the spawn attributes and file actions.
struct SpawnSetup {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  SpawnSetup() {
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&actions);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
};

}  // namespace

Result<ExecCredential> runExecPlugin(const ExecConfig& config) {
  if (config.command.empty()) return invalidArgument("exec plugin has no command");
  const std::string what = "exec plugin " + config.command;
  const std::string api_version =
      config.api_version.empty() ? "client.authentication.k8s.io/v1" : config.api_version;
  const std::string exec_info = nlohmann::json{
      {"apiVersion", api_version},
      {"kind", "ExecCredential"},
      {"spec",
       {{"interactive", false}}}}.dump();
  int out_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return internalError(errnoText("pipe", errno));

  SpawnSetup setup;
  sigset_t empty, defaults;
  sigemptyset(&empty);
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2, SIGALRM}) {
    sigaddset(&defaults, sig);
  }
  posix_spawnattr_setsigmask(&setup.attr, &empty);
  posix_spawnattr_setsigdefault(&setup.attr, &defaults);
  posix_spawnattr_setflags(&setup.attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawn_file_actions_adddup2(&setup.actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&setup.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  if (!config.working_dir.empty()) {
    posix_spawn_file_actions_addchdir_np(&setup.actions, config.working_dir.c_str());
  }
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(config.command.c_str()));
  for (const std::string& a : config.args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_strings = childEnvironment(config, exec_info);
  std::vector<char*> envp;
  for (std::string& e : env_strings)
    envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, argv[0], &setup.actions, &setup.attr, argv.data(), envp.data());
  close(out_pipe[1]);
  if (rc != 0) {
    close(out_pipe[0]);
    return unavailable(what + ": " + errnoText("cannot start", rc));
  }

  // Read stdout until EOF, the output cap or the timeout; the plugin's real time is measured
  // with steady_clock because it bounds a poll() on a pipe.
  const auto deadline = std::chrono::steady_clock::now() + config.timeout;
  std::string output;
  Status failure;
  char buffer[4096];
  for (;;) {
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      failure = deadlineExceeded(what + ": no answer within " +
                                 std::to_string(config.timeout.count()) + " ms; killed");
      break;
    }
    pollfd p{out_pipe[0], POLLIN, 0};
    const int r = poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (r < 0 && errno != EINTR) {
      failure = internalError(errnoText("poll", errno));
      break;
    }
    if (r <= 0) continue;
    const ssize_t n = read(out_pipe[0], buffer, sizeof buffer);
    if (n > 0) {
      output.append(buffer, static_cast<size_t>(n));
      if (output.size() > kMaxOutput) {
        failure = unavailable(what + ": more than 1 MiB of output; killed");
        break;
      }
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  close(out_pipe[0]);
  if (!failure.isOk()) kill(pid, SIGKILL);
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (!failure.isOk()) return failure;
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    return unavailable(what + " failed with status " +
                       std::to_string(WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1));
  }
  auto parsed = parseExecCredential(output, api_version);
  if (!parsed.isOk()) return parsed.status().withContext(what);
  return parsed;
}

}  // namespace mr::k8s
