#include "process_util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "common/clock.h"

namespace mr::k8s::testing {

Spawned spawnProcess(const std::vector<std::string>& argv, const std::string& log_path) {
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    std::vector<char*> args;
    for (const auto& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return {pid, log_path};
}

std::string waitForText(const std::string& path, const std::string& needle, int timeout_ms) {
  for (int waited = 0; waited < timeout_ms; waited += 20) {
    std::ifstream in(path);
    std::stringstream content;
    content << in.rdbuf();
    if (content.str().find(needle) != std::string::npos) return content.str();
    RealClock::instance().sleepFor(Millis(20));
  }
  return "";
}

int stopProcess(pid_t pid, int sig, int timeout_ms) {
  kill(pid, sig);
  for (int waited = 0; waited < timeout_ms; waited += 10) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    RealClock::instance().sleepFor(Millis(10));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  return -1;
}

HttpResult httpGet(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return {};
  }
  const std::string req =
      "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
  send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  std::string response;
  char buf[8192];
  for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;)
    response.append(buf, static_cast<size_t>(n));
  close(fd);
  HttpResult out;
  if (response.rfind("HTTP/1.1 ", 0) == 0) out.code = std::stoi(response.substr(9, 3));
  const size_t body = response.find("\r\n\r\n");
  if (body != std::string::npos) out.body = response.substr(body + 4);
  return out;
}

namespace {
Json toJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      Json out = Json::object();
      for (const auto& kv : node)
        out[kv.first.as<std::string>()] = toJson(kv.second);
      return out;
    }
    case YAML::NodeType::Sequence: {
      Json out = Json::array();
      for (const auto& item : node)
        out.push_back(toJson(item));
      return out;
    }
    case YAML::NodeType::Scalar: {
      const std::string v = node.Scalar();
      if (node.Tag() == "!") return v;  // quoted: always a string
      if (v == "true" || v == "false") return v == "true";
      if (v == "null" || v == "~") return nullptr;
      static const std::regex integer("-?[0-9]+"), number("-?[0-9]+\\.[0-9]+([eE][-+]?[0-9]+)?");
      if (std::regex_match(v, integer)) return std::stoll(v);
      if (std::regex_match(v, number)) return std::stod(v);
      return v;
    }
    default:
      return nullptr;
  }
}
}  // namespace

Json yamlFileToJson(const std::string& path) {
  return toJson(YAML::LoadFile(path));
}

long residentKiB(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

}  // namespace mr::k8s::testing
