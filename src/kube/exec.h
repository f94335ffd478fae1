// client.authentication.k8s.io exec credential plugins (as used by EKS, GKE, AKS): run the
// configured command with KUBERNETES_EXEC_INFO set, read an ExecCredential from its stdout, and
// cache it until status.expirationTimestamp (or, without one, until invalidate() after a 401).
#pragma once

#include <chrono>

#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "kube/config.h"
#include "model/clock.h"
#include "model/error.h"

namespace trimtab::kube {

struct ExecCredential {
  std::string token;
  std::string client_certificate_pem;
  std::string client_key_pem;
  std::optional<UnixSeconds> expiration;  // status.expirationTimestamp
};

// Parses the plugin's stdout. expected_api_version is the kubeconfig's exec.apiVersion, which the
// output must repeat. source prefixes messages (e.g. `exec plugin "aws"`).
Result<ExecCredential> parseExecCredential(std::string_view json,
                                           std::string_view expected_api_version,
                                           std::string_view source);

// The KUBERNETES_EXEC_INFO value given to the plugin.
std::string execInfoJson(const ExecConfig& exec, const ClusterEntry& cluster);

// Runs the plugin (stdin closed, stderr passed through) and parses its output. Errors name the
// command and include the install hint when the command cannot be started.
// A plugin that has not exited within `timeout` (an interactive login waiting on a terminal that
// is not there, a hung network call) is killed and reported.
Result<ExecCredential> runExecPlugin(const ExecConfig& exec, const ClusterEntry& cluster,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(60));

// Thread-safe.
class ExecCredentialCache {
 public:
  ExecCredentialCache(ExecConfig exec, ClusterEntry cluster, const Clock& clock)
      : exec_(std::move(exec)), cluster_(std::move(cluster)), clock_(clock) {}
  // The cached credential while it has not expired, else a fresh one from the plugin.
  Result<ExecCredential> get();
  // Forgets the cached credential (call after the server answered 401).
  void invalidate();
  int pluginRuns() const;

 private:
  ExecConfig exec_;
  ClusterEntry cluster_;
  const Clock& clock_;
  mutable std::mutex mu_;
  std::optional<ExecCredential> cached_;
  int runs_ = 0;
};

}  // namespace trimtab::kube
