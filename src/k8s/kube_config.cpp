#include "k8s/kube_config.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "k8s/base64.h"

namespace fs = std::filesystem;

namespace mr::k8s {
namespace {

Result<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return notFound("cannot read " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// A named entry together with the directory of the file that defined it.
struct Entry {
  YAML::Node node;
  std::string dir;
};

std::string resolvePath(const std::string& path, const std::string& dir) {
  if (path.empty() || fs::path(path).is_absolute()) return path;
  return (fs::path(dir) / path).lexically_normal().string();
}

std::string str(const YAML::Node& node, const char* key) {
  if (!node || !node.IsMap()) return std::string();  // operator[] throws on a scalar or list
  const YAML::Node v = node[key];
  return v && v.IsScalar() ? v.as<std::string>() : std::string();
}

// Reads `<field>-data` (base64) or `<field>` (a file path).
Result<std::string> dataOrFile(const Entry& entry, const std::string& field) {
  const std::string data = str(entry.node, (field + "-data").c_str());
  if (!data.empty()) {
    auto decoded = base64Decode(data);
    if (!decoded.isOk()) return decoded.status().withContext(field + "-data");
    return decoded;
  }
  const std::string file = str(entry.node, field.c_str());
  if (file.empty()) return std::string();
  auto content = readFile(resolvePath(file, entry.dir));
  if (!content.isOk()) return content.status().withContext(field);
  return content;
}

Status applyUser(const Entry& user, ClusterConfig& config, const Clock& clock) {
  auto cert = dataOrFile(user, "client-certificate");
  if (!cert.isOk()) return cert.status();
  auto key = dataOrFile(user, "client-key");
  if (!key.isOk()) return key.status();
  config.client_certificate_pem = *cert;
  config.client_key_pem = *key;
  if (const std::string token = str(user.node, "token"); !token.empty()) {
    config.token = makeStaticTokenSource(token);
  } else if (const std::string file = str(user.node, "tokenFile"); !file.empty()) {
    config.token = makeFileTokenSource(resolvePath(file, user.dir), clock);
  }
  if (const YAML::Node exec = user.node["exec"]; exec && exec.IsMap()) {
    ExecConfig ec;
    ec.api_version = str(exec, "apiVersion");
    ec.command = str(exec, "command");
    // client-go resolves a command containing a path separator against the kubeconfig.
    if (ec.command.find('/') != std::string::npos) ec.command = resolvePath(ec.command, user.dir);
    if (const YAML::Node args = exec["args"]; args && args.IsSequence()) {
      for (const auto& a : args)
        ec.args.push_back(a.as<std::string>());
    }
    if (const YAML::Node env = exec["env"]; env && env.IsSequence()) {
      for (const auto& e : env)
        ec.env.emplace_back(str(e, "name"), str(e, "value"));
    }
    ec.working_dir = user.dir;
    auto first = runExecPlugin(ec);
    if (!first.isOk()) return first.status();
    if (!first->client_certificate_pem.empty()) {
      config.client_certificate_pem = first->client_certificate_pem;
      config.client_key_pem = first->client_key_pem;
    }
    if (!first->token.empty()) config.token = makeExecTokenSource(ec, clock, *first);
  }
  if (config.client_certificate_pem.empty() != config.client_key_pem.empty()) {
    return invalidArgument("client certificate and key must be given together");
  }
  return Status::ok();
}

void collectNamed(const YAML::Node& list, const char* inner, const std::string& dir,
                  std::map<std::string, Entry>& into) {
  if (!list || !list.IsSequence()) return;
  for (const auto& item : list) {
    if (!item.IsMap()) continue;  // `- x` instead of `- name: x`
    const std::string name = str(item, "name");
    if (name.empty() || into.count(name)) continue;  // first file wins
    into[name] = Entry{item[inner] ? item[inner] : YAML::Node(YAML::NodeType::Map), dir};
  }
}

}  // namespace

EnvLookup processEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

Result<ClusterConfig> loadKubeconfig(const std::vector<std::string>& files,
                                     const std::string& context, const Clock& clock,
                                     const KubeconfigOverrides& overrides) {
  std::map<std::string, Entry> clusters, users, contexts;
  std::string current_context;
  int loaded = 0;
  for (const std::string& file : files) {
    if (file.empty()) continue;
    auto text = readFile(file);
    if (!text.isOk()) {
      if (files.size() > 1) continue;  // client-go skips missing files in a $KUBECONFIG list
      return text.status();
    }
    YAML::Node doc;
    try {
      doc = YAML::Load(*text);
    } catch (const YAML::Exception& e) {
      return invalidArgument("kubeconfig " + file + ": " + e.what());
    }
    if (doc.IsDefined() && !doc.IsNull() && !doc.IsMap()) {
      return invalidArgument("kubeconfig " + file + ": not a YAML mapping");
    }
    ++loaded;
    const std::string dir = fs::absolute(fs::path(file)).parent_path().string();
    collectNamed(doc["clusters"], "cluster", dir, clusters);
    collectNamed(doc["users"], "user", dir, users);
    collectNamed(doc["contexts"], "context", dir, contexts);
    if (current_context.empty()) current_context = str(doc, "current-context");
  }
  if (loaded == 0) return notFound("no kubeconfig file could be read");
  const std::string context_name = context.empty() ? current_context : context;
  if (context_name.empty()) return invalidArgument("kubeconfig has no current-context");
  auto ctx = contexts.find(context_name);
  if (ctx == contexts.end()) return notFound("context \"" + context_name + "\" not found");

  ClusterConfig config;
  config.description = "kubeconfig context " + context_name;
  try {
    const std::string cluster_name =
        overrides.cluster.empty() ? str(ctx->second.node, "cluster") : overrides.cluster;
    auto cluster = clusters.find(cluster_name);
    if (cluster == clusters.end()) return notFound("cluster \"" + cluster_name + "\" not found");
    config.server = str(cluster->second.node, "server");
    while (!config.server.empty() && config.server.back() == '/')
      config.server.pop_back();
    if (config.server.empty()) return invalidArgument("cluster " + cluster_name + " has no server");
    auto ca = dataOrFile(cluster->second, "certificate-authority");
    if (!ca.isOk()) return ca.status();
    config.ca_pem = *ca;
    config.insecure_skip_tls_verify =
        str(cluster->second.node, "insecure-skip-tls-verify") == "true";
    config.tls_server_name = str(cluster->second.node, "tls-server-name");
    config.proxy_url = str(cluster->second.node, "proxy-url");
    if (const std::string ns = str(ctx->second.node, "namespace"); !ns.empty()) {
      config.default_namespace = ns;
    }
    const std::string user_name =
        overrides.user.empty() ? str(ctx->second.node, "user") : overrides.user;
    if (!user_name.empty()) {
      auto user = users.find(user_name);
      if (user == users.end()) return notFound("user \"" + user_name + "\" not found");
      if (Status s = applyUser(user->second, config, clock); !s.isOk()) {
        return s.withContext("user " + user_name);
      }
    }
  } catch (const YAML::Exception& e) {
    return invalidArgument(std::string("kubeconfig: ") + e.what());
  }
  return config;
}

Result<ClusterConfig> loadInClusterConfig(const EnvLookup& env, const Clock& clock,
                                          const std::string& service_account_dir) {
  const auto host = env("KUBERNETES_SERVICE_HOST");
  const auto port = env("KUBERNETES_SERVICE_PORT");
  if (!host || host->empty() || !port || port->empty()) {
    return notFound("not running in a cluster: KUBERNETES_SERVICE_HOST/PORT unset");
  }
  ClusterConfig config;
  const bool ipv6 = host->find(':') != std::string::npos;
  config.server = "https://" + (ipv6 ? "[" + *host + "]" : *host) + ":" + *port;
  const std::string token_path = service_account_dir + "/token";
  config.token = makeFileTokenSource(token_path, clock);
  if (auto first = config.token->token(); !first.isOk()) return first.status();
  auto ca = readFile(service_account_dir + "/ca.crt");
  if (!ca.isOk()) return ca.status();
  config.ca_pem = *ca;
  if (auto ns = env("POD_NAMESPACE"); ns && !ns->empty()) {
    config.default_namespace = *ns;
  } else if (auto ns_file = readFile(service_account_dir + "/namespace"); ns_file.isOk()) {
    std::string value = *ns_file;
    while (!value.empty() && (value.back() == '\n' || value.back() == ' '))
      value.pop_back();
    if (!value.empty()) config.default_namespace = value;
  }
  config.description = "in-cluster service account";
  return config;
}

Result<ClusterConfig> loadClusterConfig(const std::string& kubeconfig_flag,
                                        const std::string& context_flag, const EnvLookup& env,
                                        const Clock& clock, const KubeconfigOverrides& overrides) {
  if (!kubeconfig_flag.empty()) {
    return loadKubeconfig({kubeconfig_flag}, context_flag, clock, overrides);
  }
  if (auto list = env("KUBECONFIG"); list && !list->empty()) {
    std::vector<std::string> files;
    std::stringstream in(*list);
    for (std::string part; std::getline(in, part, ':');)
      files.push_back(part);
    return loadKubeconfig(files, context_flag, clock, overrides);
  }
  if (auto host = env("KUBERNETES_SERVICE_HOST"); host && !host->empty()) {
    return loadInClusterConfig(env, clock);
  }
  const auto home = env("HOME");
  if (!home) return notFound("no kubeconfig: set --kubeconfig or $KUBECONFIG");
  return loadKubeconfig({*home + "/.kube/config"}, context_flag, clock, overrides);
}

}  // namespace mr::k8s
