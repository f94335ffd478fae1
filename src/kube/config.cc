#include "kube/config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace trimtab::kube {
namespace {

namespace fs = std::filesystem;

Result<std::string> readText(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::kIo, fmt::format("{} {}: cannot read", what, path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string resolvePath(std::string_view base_dir, const std::string& path) {
  if (path.empty() || path.front() == '/' || base_dir.empty()) return path;
  return (fs::path(base_dir) / path).lexically_normal().string();
}

// Field readers. `where` is e.g. `/x/config: users[0] "admin"`.
Result<std::string> str(const YAML::Node& map, const char* key, const std::string& where) {
  const YAML::Node v = map[key];
  if (!v.IsDefined() || v.IsNull()) return std::string();
  if (!v.IsScalar()) {
    return fail(ErrorCode::kParse, fmt::format("{}: {}: expected a string", where, key));
  }
  return v.Scalar();
}

Result<bool> boolean(const YAML::Node& map, const char* key, const std::string& where) {
  const YAML::Node v = map[key];
  if (!v.IsDefined() || v.IsNull()) return false;
  if (v.IsScalar()) {
    const std::string& s = v.Scalar();
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
  }
  return fail(ErrorCode::kParse, fmt::format("{}: {}: expected true or false", where, key));
}

Result<std::string> data(const YAML::Node& map, const char* key, const std::string& where) {
  auto text = str(map, key, where);
  if (!text || text->empty()) return text;
  auto decoded = decodeBase64(*text);
  if (!decoded) {
    return fail(ErrorCode::kParse, fmt::format("{}: {}: not base64", where, key));
  }
  return *decoded;
}

#define TRY_ASSIGN(lhs, expr)                         \
  do {                                                \
    auto trimtab_r_ = (expr);                         \
    if (!trimtab_r_) return fail(trimtab_r_.error()); \
    lhs = std::move(*trimtab_r_);                     \
  } while (0)

Result<ExecConfig> parseExec(const YAML::Node& node, const std::string& where) {
  ExecConfig exec;
  if (!node.IsMap()) return fail(ErrorCode::kParse, where + ": exec: expected a mapping");
  std::string w = where + ": exec";
  TRY_ASSIGN(exec.api_version, str(node, "apiVersion", w));
  TRY_ASSIGN(exec.command, str(node, "command", w));
  TRY_ASSIGN(exec.install_hint, str(node, "installHint", w));
  TRY_ASSIGN(exec.provide_cluster_info, boolean(node, "provideClusterInfo", w));
  TRY_ASSIGN(exec.interactive_mode, str(node, "interactiveMode", w));
  if (exec.command.empty()) return fail(ErrorCode::kParse, w + ": command: missing");
  if (exec.api_version.empty()) return fail(ErrorCode::kParse, w + ": apiVersion: missing");
  if (const YAML::Node args = node["args"]; args.IsDefined() && !args.IsNull()) {
    if (!args.IsSequence()) return fail(ErrorCode::kParse, w + ": args: expected a list");
    for (std::size_t i = 0; i < args.size(); ++i) {
      if (!args[i].IsScalar()) {
        return fail(ErrorCode::kParse, fmt::format("{}: args[{}]: expected a string", w, i));
      }
      exec.args.push_back(args[i].Scalar());
    }
  }
  if (const YAML::Node env = node["env"]; env.IsDefined() && !env.IsNull()) {
    if (!env.IsSequence()) return fail(ErrorCode::kParse, w + ": env: expected a list");
    for (std::size_t i = 0; i < env.size(); ++i) {
      std::string ew = fmt::format("{}: env[{}]", w, i);
      if (!env[i].IsMap()) return fail(ErrorCode::kParse, ew + ": expected a mapping");
      std::string name, value;
      TRY_ASSIGN(name, str(env[i], "name", ew));
      TRY_ASSIGN(value, str(env[i], "value", ew));
      if (name.empty()) return fail(ErrorCode::kParse, ew + ": name: missing");
      exec.env.emplace_back(std::move(name), std::move(value));
    }
  }
  return exec;
}

// Iterates a list of named entries: [{name: x, <inner>: {...}}].
template <typename Fn>
Status eachNamed(const YAML::Node& root, const char* list, const char* inner, std::string_view file,
                 Fn&& fn) {
  const YAML::Node seq = root[list];
  if (!seq.IsDefined() || seq.IsNull()) return {};
  if (!seq.IsSequence()) {
    return fail(ErrorCode::kParse, fmt::format("{}: {}: expected a list", file, list));
  }
  for (std::size_t i = 0; i < seq.size(); ++i) {
    const YAML::Node item = seq[i];
    std::string where = fmt::format("{}: {}[{}]", file, list, i);
    if (!item.IsMap()) return fail(ErrorCode::kParse, where + ": expected a mapping");
    std::string name;
    TRY_ASSIGN(name, str(item, "name", where));
    if (name.empty()) return fail(ErrorCode::kParse, where + ": name: missing");
    where += fmt::format(" \"{}\"", name);
    const YAML::Node body = item[inner];
    if (body.IsDefined() && !body.IsNull() && !body.IsMap()) {
      return fail(ErrorCode::kParse, fmt::format("{}: {}: expected a mapping", where, inner));
    }
    if (auto s =
            fn(name, body.IsDefined() && !body.IsNull() ? body : YAML::Node(YAML::NodeType::Map),
               where);
        !s) {
      return s;
    }
  }
  return {};
}

}  // namespace

std::optional<std::string> decodeBase64(std::string_view text) {
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t pad = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+')
      v = 62;
    else if (c == '/')
      v = 63;
    else if (c == '=') {
      ++pad;
      continue;
    } else if (c == '\n' || c == '\r' || c == ' ' || c == '\t')
      continue;
    else
      return std::nullopt;
    if (pad > 0) return std::nullopt;  // data after padding
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  if (pad > 2 || bits >= 6) return std::nullopt;
  return out;
}

Result<Kubeconfig> Kubeconfig::parse(std::string_view yaml, std::string_view file_name,
                                     std::string_view base_dir) {
  Kubeconfig config;
  config.files.emplace_back(file_name);
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    if (root.IsNull() || !root.IsDefined()) return config;  // empty file
    if (!root.IsMap()) {
      return fail(ErrorCode::kParse, fmt::format("{}: expected a kubeconfig mapping", file_name));
    }
    std::string top(file_name);
    TRY_ASSIGN(config.current_context, str(root, "current-context", top));
    auto s = eachNamed(
        root, "clusters", "cluster", file_name,
        [&](const std::string& name, const YAML::Node& c, const std::string& where) -> Status {
          ClusterEntry e;
          e.name = name;
          TRY_ASSIGN(e.server, str(c, "server", where));
          TRY_ASSIGN(e.certificate_authority, str(c, "certificate-authority", where));
          e.certificate_authority = resolvePath(base_dir, e.certificate_authority);
          TRY_ASSIGN(e.certificate_authority_data, data(c, "certificate-authority-data", where));
          TRY_ASSIGN(e.tls_server_name, str(c, "tls-server-name", where));
          TRY_ASSIGN(e.proxy_url, str(c, "proxy-url", where));
          TRY_ASSIGN(e.insecure_skip_tls_verify, boolean(c, "insecure-skip-tls-verify", where));
          config.clusters.push_back(std::move(e));
          return {};
        });
    if (!s) return fail(s.error());
    s = eachNamed(
        root, "users", "user", file_name,
        [&](const std::string& name, const YAML::Node& u, const std::string& where) -> Status {
          UserEntry e;
          e.name = name;
          TRY_ASSIGN(e.client_certificate, str(u, "client-certificate", where));
          e.client_certificate = resolvePath(base_dir, e.client_certificate);
          TRY_ASSIGN(e.client_certificate_data, data(u, "client-certificate-data", where));
          TRY_ASSIGN(e.client_key, str(u, "client-key", where));
          e.client_key = resolvePath(base_dir, e.client_key);
          TRY_ASSIGN(e.client_key_data, data(u, "client-key-data", where));
          TRY_ASSIGN(e.token, str(u, "token", where));
          TRY_ASSIGN(e.token_file, str(u, "tokenFile", where));
          e.token_file = resolvePath(base_dir, e.token_file);
          TRY_ASSIGN(e.username, str(u, "username", where));
          TRY_ASSIGN(e.password, str(u, "password", where));
          if (const YAML::Node ex = u["exec"]; ex.IsDefined() && !ex.IsNull()) {
            auto exec = parseExec(ex, where);
            if (!exec) return fail(exec.error());
            if (exec->command.find('/') != std::string::npos) {
              exec->command = resolvePath(base_dir, exec->command);
            }
            e.exec = std::move(*exec);
          }
          config.users.push_back(std::move(e));
          return {};
        });
    if (!s) return fail(s.error());
    s = eachNamed(
        root, "contexts", "context", file_name,
        [&](const std::string& name, const YAML::Node& c, const std::string& where) -> Status {
          ContextEntry e;
          e.name = name;
          TRY_ASSIGN(e.cluster, str(c, "cluster", where));
          TRY_ASSIGN(e.user, str(c, "user", where));
          TRY_ASSIGN(e.namespace_name, str(c, "namespace", where));
          config.contexts.push_back(std::move(e));
          return {};
        });
    if (!s) return fail(s.error());
  } catch (const YAML::ParserException& e) {
    return fail(ErrorCode::kParse, fmt::format("{}: line {} column {}: not YAML: {}", file_name,
                                               e.mark.line + 1, e.mark.column + 1, e.msg));
  } catch (const YAML::Exception& e) {
    return fail(ErrorCode::kParse, fmt::format("{}: {}", file_name, e.what()));
  }
  return config;
}

void Kubeconfig::mergeFrom(Kubeconfig&& other) {
  if (current_context.empty()) current_context = other.current_context;
  for (auto& c : other.clusters) {
    if (cluster(c.name) == nullptr) clusters.push_back(std::move(c));
  }
  for (auto& u : other.users) {
    if (user(u.name) == nullptr) users.push_back(std::move(u));
  }
  for (auto& c : other.contexts) {
    if (context(c.name) == nullptr) contexts.push_back(std::move(c));
  }
  for (auto& f : other.files) files.push_back(std::move(f));
}

const ClusterEntry* Kubeconfig::cluster(std::string_view name) const {
  for (const auto& c : clusters) {
    if (c.name == name) return &c;
  }
  return nullptr;
}
const UserEntry* Kubeconfig::user(std::string_view name) const {
  for (const auto& u : users) {
    if (u.name == name) return &u;
  }
  return nullptr;
}
const ContextEntry* Kubeconfig::context(std::string_view name) const {
  for (const auto& c : contexts) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

Result<Kubeconfig> loadKubeconfigFiles(const LoadOptions& options) {
  std::vector<std::string> paths;
  bool must_exist = false;
  if (!options.kubeconfig_path.empty()) {
    paths.push_back(options.kubeconfig_path);
    must_exist = true;
  } else {
    std::optional<std::string> env = options.kubeconfig_env;
    if (!env) {
      if (const char* e = std::getenv("KUBECONFIG")) env = std::string(e);
    }
    if (env && !env->empty()) {
      std::string_view rest = *env;
      while (true) {
        auto colon = rest.find(':');
        std::string_view part = rest.substr(0, colon);
        if (!part.empty()) paths.emplace_back(part);
        if (colon == std::string_view::npos) break;
        rest.remove_prefix(colon + 1);
      }
    } else {
      std::optional<std::string> home = options.home;
      if (!home) {
        if (const char* h = std::getenv("HOME")) home = std::string(h);
      }
      if (!home) return fail(ErrorCode::kNotFound, "no kubeconfig: KUBECONFIG and HOME are unset");
      paths.push_back(*home + "/.kube/config");
    }
  }
  Kubeconfig merged;
  bool any = false;
  for (const auto& path : paths) {
    std::error_code ec;
    if (!must_exist && !fs::exists(path, ec)) continue;
    auto text = readText(path, "kubeconfig");
    if (!text) return fail(text.error());
    auto dir = fs::absolute(fs::path(path), ec).parent_path().string();
    auto one = Kubeconfig::parse(*text, path, dir);
    if (!one) return fail(one.error());
    if (!any) {
      merged = std::move(*one);
      any = true;
    } else {
      merged.mergeFrom(std::move(*one));
    }
  }
  if (!any) {
    std::string list;
    for (const auto& p : paths) list += (list.empty() ? "" : ":") + p;
    return fail(ErrorCode::kNotFound, fmt::format("no kubeconfig file found (looked at {})", list));
  }
  return merged;
}

Result<RestConfig> restConfigFromKubeconfig(const Kubeconfig& config, std::string_view context) {
  std::string files;
  for (const auto& f : config.files) files += (files.empty() ? "" : ":") + f;
  std::string name(context.empty() ? std::string_view(config.current_context) : context);
  if (name.empty()) {
    return fail(ErrorCode::kNotFound,
                fmt::format("kubeconfig {}: no current-context set and no context given", files));
  }
  const ContextEntry* ctx = config.context(name);
  if (ctx == nullptr) {
    std::string known;
    for (const auto& c : config.contexts) known += (known.empty() ? "" : ", ") + c.name;
    return fail(ErrorCode::kNotFound,
                fmt::format("context \"{}\" not found in kubeconfig {} (known: {})", name, files,
                            known.empty() ? "none" : known));
  }
  const ClusterEntry* cluster = config.cluster(ctx->cluster);
  if (cluster == nullptr) {
    return fail(ErrorCode::kNotFound,
                fmt::format("kubeconfig {}: context \"{}\": cluster \"{}\" not found", files, name,
                            ctx->cluster));
  }
  if (cluster->server.empty()) {
    return fail(ErrorCode::kParse, fmt::format("kubeconfig {}: cluster \"{}\": server: missing",
                                               files, cluster->name));
  }
  RestConfig rc;
  rc.server = cluster->server;
  while (!rc.server.empty() && rc.server.back() == '/') rc.server.pop_back();
  rc.namespace_name = ctx->namespace_name;
  rc.context_name = name;
  rc.cluster = *cluster;
  rc.origin = fmt::format("kubeconfig {} context {}", files, name);
  rc.tls.insecure_skip_verify = cluster->insecure_skip_tls_verify;
  rc.tls.server_name = cluster->tls_server_name;
  rc.proxy_url = cluster->proxy_url;
  rc.tls.ca_pem = cluster->certificate_authority_data;
  if (rc.tls.ca_pem.empty()) rc.tls.ca_file = cluster->certificate_authority;
  auto need_file = [&](const std::string& file, std::string_view entry,
                       std::string_view field) -> Status {
    if (file.empty()) return {};
    std::error_code ec;
    if (!fs::exists(file, ec)) {
      return fail(ErrorCode::kIo,
                  fmt::format("kubeconfig {}: {}: {} {}: no such file", files, entry, field, file));
    }
    return {};
  };
  if (rc.tls.ca_pem.empty()) {
    if (auto s = need_file(rc.tls.ca_file, fmt::format("cluster \"{}\"", cluster->name),
                           "certificate-authority");
        !s)
      return fail(s.error());
  }
  if (!ctx->user.empty()) {
    const UserEntry* user = config.user(ctx->user);
    if (user == nullptr) {
      return fail(ErrorCode::kNotFound,
                  fmt::format("kubeconfig {}: context \"{}\": user \"{}\" not found", files, name,
                              ctx->user));
    }
    std::string entry = fmt::format("user \"{}\"", user->name);
    rc.tls.client_cert_pem = user->client_certificate_data;
    if (rc.tls.client_cert_pem.empty()) {
      rc.tls.client_cert_file = user->client_certificate;
      if (auto s = need_file(rc.tls.client_cert_file, entry, "client-certificate"); !s)
        return fail(s.error());
    }
    rc.tls.client_key_pem = user->client_key_data;
    if (rc.tls.client_key_pem.empty()) {
      rc.tls.client_key_file = user->client_key;
      if (auto s = need_file(rc.tls.client_key_file, entry, "client-key"); !s)
        return fail(s.error());
    }
    bool has_cert = !rc.tls.client_cert_pem.empty() || !rc.tls.client_cert_file.empty();
    bool has_key = !rc.tls.client_key_pem.empty() || !rc.tls.client_key_file.empty();
    if (has_cert != has_key) {
      return fail(ErrorCode::kParse,
                  fmt::format("kubeconfig {}: {}: client certificate and key must both be set",
                              files, entry));
    }
    rc.auth.bearer_token = user->token;
    if (rc.auth.bearer_token.empty()) rc.auth.bearer_token_file = user->token_file;
    rc.auth.basic_username = user->username;
    rc.auth.basic_password = user->password;
    rc.exec = user->exec;
  }
  return rc;
}

Result<RestConfig> loadRestConfig(const LoadOptions& options) {
  auto config = loadKubeconfigFiles(options);
  if (!config) return fail(config.error());
  return restConfigFromKubeconfig(*config, options.context);
}

Result<RestConfig> inClusterConfig(const InClusterOptions& options) {
  auto env = [](const std::optional<std::string>& given, const char* name) -> std::string {
    if (given) return *given;
    const char* v = std::getenv(name);
    return v == nullptr ? std::string() : std::string(v);
  };
  std::string host = env(options.service_host, "KUBERNETES_SERVICE_HOST");
  std::string port = env(options.service_port, "KUBERNETES_SERVICE_PORT");
  if (host.empty() || port.empty()) {
    return fail(ErrorCode::kNotFound,
                "in-cluster config: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be "
                "set (not running in a pod?)");
  }
  std::error_code ec;
  if (!fs::exists(options.token_file, ec)) {
    return fail(ErrorCode::kIo, fmt::format("in-cluster config: service-account token {}: no "
                                            "such file",
                                            options.token_file));
  }
  RestConfig rc;
  bool ipv6 = host.find(':') != std::string::npos;
  rc.server = fmt::format("https://{}{}{}:{}", ipv6 ? "[" : "", host, ipv6 ? "]" : "", port);
  rc.auth.bearer_token_file = options.token_file;
  if (fs::exists(options.ca_file, ec)) {
    rc.tls.ca_file = options.ca_file;
  } else {
    return fail(
        ErrorCode::kIo,
        fmt::format("in-cluster config: service-account CA {}: no such file", options.ca_file));
  }
  if (auto ns = readText(options.namespace_file, "namespace file")) {
    std::string n = *ns;
    while (!n.empty() && (n.back() == '\n' || n.back() == ' ')) n.pop_back();
    rc.namespace_name = n;
  }
  rc.context_name = "in-cluster";
  rc.origin = "in-cluster service account";
  rc.cluster.server = rc.server;
  rc.cluster.certificate_authority = rc.tls.ca_file;
  return rc;
}

}  // namespace trimtab::kube
