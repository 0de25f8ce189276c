// Test helper: runs a child process with stdout/stderr captured to files, synchronously or in
// the background. For integration tests only.
// Thread-safety: one Subprocess per thread.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "common/clock.h"

extern char** environ;

namespace mr::plugin::testing {

inline std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class Subprocess {
 public:
  // `out_prefix`: stdout goes to out_prefix + ".out", stderr to out_prefix + ".err".
  Subprocess(const std::vector<std::string>& argv, const std::string& out_prefix,
             const std::vector<std::string>& extra_env = {})
      : out_path_(out_prefix + ".out"), err_path_(out_prefix + ".err") {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_addopen(&actions, 2, err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    std::vector<char*> args;
    for (const auto& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::vector<std::string> env_storage;
    // extra_env entries replace inherited ones of the same name.
    auto name_of = [](const std::string& entry) { return entry.substr(0, entry.find('=')); };
    for (char** e = environ; *e; ++e) {
      const std::string entry(*e);
      const bool overridden = std::any_of(extra_env.begin(), extra_env.end(), [&](const auto& x) {
        return name_of(x) == name_of(entry);
      });
      if (!overridden) env_storage.push_back(entry);
    }
    for (const auto& e : extra_env)
      env_storage.push_back(e);
    std::vector<char*> env;
    for (auto& e : env_storage)
      env.push_back(e.data());
    env.push_back(nullptr);
    if (posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), env.data()) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~Subprocess() {
    if (pid_ > 0 && !exit_code_) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
  }
  bool started() const { return pid_ > 0; }

  // Exit code once the process ended (signal = 128 + signo); nullopt while it runs.
  std::optional<int> poll() {
    if (exit_code_ || pid_ <= 0) return exit_code_;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    return exit_code_;
  }
  // Waits up to `timeout`; kills the process and returns nullopt if it is still running.
  std::optional<int> wait(Millis timeout) {
    const Clock& clock = RealClock::instance();
    const auto deadline = clock.steadyNow() + timeout;
    while (!poll() && clock.steadyNow() < deadline)
      clock.sleepFor(Millis(20));
    if (!poll() && pid_ > 0) {
      kill(pid_, SIGKILL);
      int status = 0;
      waitpid(pid_, &status, 0);
      exit_code_ = -1;
      return std::nullopt;
    }
    return exit_code_;
  }
  std::string out() const { return readFile(out_path_); }
  std::string err() const { return readFile(err_path_); }

 private:
  std::string out_path_;
  std::string err_path_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

}  // namespace mr::plugin::testing
