// Kubernetes client configuration, read exactly as kubectl reads it.
//
// Kubeconfig loading (client-go's rules):
//   - --kubeconfig F (LoadOptions::kubeconfig_path): only F, which must exist.
//   - else $KUBECONFIG: a ':'-separated list; empty entries and missing files are skipped; the
//     files are merged: for clusters, users and contexts the first file defining a name wins,
//     and current-context comes from the first file that sets it.
//   - else $HOME/.kube/config.
//   - Relative paths (certificate-authority, client-certificate, client-key, tokenFile, and an
//     exec command containing '/') are resolved against the directory of the file naming them.
//   - *-data fields are base64 (standard alphabet) PEM; errors name the file and the field.
//   - The context is LoadOptions::context when given, else current-context.
// In-cluster: the service-account token file (re-read when it changes), its CA, and
// KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT.
//
// Errors name the file, the entry and the field: `/home/a/.kube/config: users[0] "admin":
// client-key-data: not base64`, `context "prod" not found in kubeconfig /a:/b (known: dev, test)`.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/client.h"
#include "model/error.h"

namespace trimtab::kube {

// users[].user.exec (client.authentication.k8s.io ExecConfig).
struct ExecConfig {
  std::string api_version;  // e.g. client.authentication.k8s.io/v1
  std::string command;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::string install_hint;
  bool provide_cluster_info = false;
  std::string interactive_mode;  // Never, IfAvailable, Always
};

struct ClusterEntry {
  std::string name;
  std::string server;
  std::string certificate_authority;       // file (resolved path)
  std::string certificate_authority_data;  // decoded PEM
  std::string tls_server_name;
  std::string proxy_url;
  bool insecure_skip_tls_verify = false;
};

struct UserEntry {
  std::string name;
  std::string client_certificate;       // file (resolved path)
  std::string client_certificate_data;  // decoded PEM
  std::string client_key;               // file (resolved path)
  std::string client_key_data;          // decoded PEM
  std::string token;
  std::string token_file;  // resolved path
  std::string username;
  std::string password;
  std::optional<ExecConfig> exec;
};

struct ContextEntry {
  std::string name;
  std::string cluster;
  std::string user;
  std::string namespace_name;
};

struct Kubeconfig {
  std::vector<ClusterEntry> clusters;
  std::vector<UserEntry> users;
  std::vector<ContextEntry> contexts;
  std::string current_context;
  std::vector<std::string> files;  // the files merged, in order

  // Parses one kubeconfig document. file_name prefixes errors; relative paths are resolved
  // against base_dir.
  static Result<Kubeconfig> parse(std::string_view yaml, std::string_view file_name,
                                  std::string_view base_dir);
  // Adds entries of other that this config lacks (first definition wins).
  void mergeFrom(Kubeconfig&& other);

  const ClusterEntry* cluster(std::string_view name) const;
  const UserEntry* user(std::string_view name) const;
  const ContextEntry* context(std::string_view name) const;
};

struct LoadOptions {
  std::string kubeconfig_path;  // --kubeconfig
  std::string context;          // --context
  // Overrides of the environment (tests); nullopt reads the real KUBECONFIG / HOME.
  std::optional<std::string> kubeconfig_env;
  std::optional<std::string> home;
};

// What a client needs to talk to one API server.
struct RestConfig {
  std::string server;          // scheme://host:port[/path], no trailing '/'
  std::string namespace_name;  // the context's namespace (may be empty)
  std::string context_name;
  http::TlsConfig tls;   // tls.server_name: the cluster's tls-server-name
  http::Auth auth;
  std::string proxy_url;  // the cluster's proxy-url
  std::optional<ExecConfig> exec;
  ClusterEntry cluster;  // for exec plugins with provideClusterInfo
  std::string origin;    // e.g. "kubeconfig /home/a/.kube/config context dev" (for messages)
};

// Reads and merges kubeconfig files per the rules above; resolves the chosen context.
Result<Kubeconfig> loadKubeconfigFiles(const LoadOptions& options);
Result<RestConfig> restConfigFromKubeconfig(const Kubeconfig& config, std::string_view context);
Result<RestConfig> loadRestConfig(const LoadOptions& options);

struct InClusterOptions {
  // Defaults are the real service-account mount and environment.
  std::string token_file = "/var/run/secrets/kubernetes.io/serviceaccount/token";
  std::string ca_file = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
  std::string namespace_file = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";
  std::optional<std::string> service_host;  // nullopt: $KUBERNETES_SERVICE_HOST
  std::optional<std::string> service_port;  // nullopt: $KUBERNETES_SERVICE_PORT
};
Result<RestConfig> inClusterConfig(const InClusterOptions& options = {});

// Standard base64 (padding optional, whitespace ignored); nullopt when invalid.
std::optional<std::string> decodeBase64(std::string_view text);

}  // namespace trimtab::kube
