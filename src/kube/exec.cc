#include "kube/exec.h"

#include <signal.h>

#include <poll.h>

#include <fcntl.h>
#include <fmt/format.h>
#include <simdjson.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "model/time_format.h"
#include "model/json_text.h"

extern char** environ;

namespace trimtab::kube {

using model::jsonString;

namespace {

std::string encodeBase64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    std::uint32_t v = (static_cast<unsigned char>(in[i]) << 16) |
                      (static_cast<unsigned char>(in[i + 1]) << 8) |
                      static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == in.size()) {
    std::uint32_t v = static_cast<unsigned char>(in[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    std::uint32_t v =
        (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

}  // namespace

Result<ExecCredential> parseExecCredential(std::string_view json,
                                           std::string_view expected_api_version,
                                           std::string_view source) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::element doc;
  if (auto err = parser.parse(padded).get(doc); err) {
    return fail(ErrorCode::kParse,
                fmt::format("{}: output is not JSON: {}", source, simdjson::error_message(err)));
  }
  auto field = [&](simdjson::dom::element obj, const char* key,
                   std::string_view path) -> Result<std::string> {
    simdjson::dom::element v;
    if (obj.at_key(key).get(v) != simdjson::SUCCESS || v.is_null()) return std::string();
    std::string_view s;
    if (v.get_string().get(s) != simdjson::SUCCESS) {
      return fail(ErrorCode::kParse, fmt::format("{}: {}: expected a string", source, path));
    }
    return std::string(s);
  };
  if (!doc.is_object()) {
    return fail(ErrorCode::kParse, fmt::format("{}: output: expected a JSON object", source));
  }
  auto kind = field(doc, "kind", "kind");
  if (!kind) return fail(kind.error());
  if (*kind != "ExecCredential") {
    return fail(ErrorCode::kParse,
                fmt::format("{}: kind: expected ExecCredential, got \"{}\"", source, *kind));
  }
  auto api = field(doc, "apiVersion", "apiVersion");
  if (!api) return fail(api.error());
  if (*api != expected_api_version) {
    return fail(ErrorCode::kParse,
                fmt::format("{}: apiVersion: \"{}\" does not match the kubeconfig's \"{}\"", source,
                            *api, expected_api_version));
  }
  simdjson::dom::element status;
  if (doc.at_key("status").get(status) != simdjson::SUCCESS || !status.is_object()) {
    return fail(ErrorCode::kParse, fmt::format("{}: status: missing", source));
  }
  ExecCredential cred;
  auto token = field(status, "token", "status.token");
  auto cert = field(status, "clientCertificateData", "status.clientCertificateData");
  auto key = field(status, "clientKeyData", "status.clientKeyData");
  auto exp = field(status, "expirationTimestamp", "status.expirationTimestamp");
  for (auto* r : {&token, &cert, &key, &exp}) {
    if (!*r) return fail(r->error());
  }
  cred.token = *token;
  cred.client_certificate_pem = *cert;
  cred.client_key_pem = *key;
  if (cred.client_certificate_pem.empty() != cred.client_key_pem.empty()) {
    return fail(ErrorCode::kParse,
                fmt::format("{}: status: clientCertificateData and clientKeyData must both be set",
                            source));
  }
  if (cred.token.empty() && cred.client_certificate_pem.empty()) {
    return fail(ErrorCode::kParse,
                fmt::format("{}: status: neither token nor clientCertificateData set", source));
  }
  if (!exp->empty()) {
    auto t = model::parseRfc3339(*exp);
    if (!t) {
      return fail(ErrorCode::kParse, fmt::format("{}: status.expirationTimestamp \"{}\": not an "
                                                 "RFC 3339 time",
                                                 source, *exp));
    }
    cred.expiration = *t;
  }
  return cred;
}

std::string execInfoJson(const ExecConfig& exec, const ClusterEntry& cluster) {
  std::string spec = "{\"interactive\":false";
  if (exec.provide_cluster_info) {
    spec += ",\"cluster\":{\"server\":" + jsonString(cluster.server);
    if (!cluster.tls_server_name.empty())
      spec += ",\"tls-server-name\":" + jsonString(cluster.tls_server_name);
    if (cluster.insecure_skip_tls_verify) spec += ",\"insecure-skip-tls-verify\":true";
    if (!cluster.certificate_authority_data.empty()) {
      spec += ",\"certificate-authority-data\":" +
              jsonString(encodeBase64(cluster.certificate_authority_data));
    }
    spec += "}";
  }
  spec += "}";
  return fmt::format("{{\"kind\":\"ExecCredential\",\"apiVersion\":{},\"spec\":{}}}",
                     jsonString(exec.api_version), spec);
}

Result<ExecCredential> runExecPlugin(const ExecConfig& exec, const ClusterEntry& cluster,
                                     std::chrono::milliseconds timeout) {
  std::string source = fmt::format("exec plugin \"{}\"", exec.command);
  // Environment: ours, then the kubeconfig's env entries (which win), then KUBERNETES_EXEC_INFO.
  std::vector<std::string> env_strings;
  auto overridden = [&](std::string_view entry) {
    auto eq = entry.find('=');
    std::string_view name = entry.substr(0, eq);
    if (name == "KUBERNETES_EXEC_INFO") return true;
    for (const auto& [k, v] : exec.env) {
      if (k == name) return true;
    }
    return false;
  };
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    if (!overridden(*e)) env_strings.emplace_back(*e);
  }
  for (const auto& [k, v] : exec.env) env_strings.push_back(k + "=" + v);
  env_strings.push_back("KUBERNETES_EXEC_INFO=" + execInfoJson(exec, cluster));
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> arg_strings{exec.command};
  for (const auto& a : exec.args) arg_strings.push_back(a);
  std::vector<char*> argv;
  for (auto& s : arg_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  int out_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    return fail(ErrorCode::kIo, fmt::format("{}: pipe: {}", source, std::strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, exec.command.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  if (rc != 0) {
    close(out_pipe[0]);
    std::string msg = fmt::format("{}: cannot start: {}", source, std::strerror(rc));
    if (!exec.install_hint.empty()) msg += fmt::format(" ({})", exec.install_hint);
    return fail(ErrorCode::kIo, msg);
  }
  std::string output;
  char buf[4096];
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd pfd{out_pipe[0], POLLIN, 0};
    const int ready = left.count() > 0 ? ::poll(&pfd, 1, static_cast<int>(std::min<long long>(left.count(), 1'000'000))) : 0;
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    ssize_t n = read(out_pipe[0], buf, sizeof buf);
    if (n > 0) {
      if (output.size() < (16u << 20)) output.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  close(out_pipe[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    return fail(ErrorCode::kIo, fmt::format("{}: no credential within {} ms; the plugin was killed", source,
                                            timeout.count()));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string how = WIFEXITED(status) ? fmt::format("exited with status {}", WEXITSTATUS(status))
                                        : std::string("was killed by a signal");
    std::string msg = fmt::format("{}: {}", source, how);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && !exec.install_hint.empty()) {
      msg += fmt::format(" ({})", exec.install_hint);
    }
    return fail(ErrorCode::kIo, msg);
  }
  return parseExecCredential(output, exec.api_version, source);
}

Result<ExecCredential> ExecCredentialCache::get() {
  std::lock_guard lock(mu_);
  if (cached_ && (!cached_->expiration || *cached_->expiration > clock_.nowSeconds())) {
    return *cached_;
  }
  ++runs_;
  auto cred = runExecPlugin(exec_, cluster_);
  if (!cred) return cred;
  cached_ = *cred;
  return cred;
}

void ExecCredentialCache::invalidate() {
  std::lock_guard lock(mu_);
  cached_.reset();
}

int ExecCredentialCache::pluginRuns() const {
  std::lock_guard lock(mu_);
  return runs_;
}

}  // namespace trimtab::kube
