// list + decode N pods (default 100,000) from the Kubernetes fixture server over TLS.
// The server runs in a child process so the figures are the client's alone.
//
//   kube_list_bench [--pods N] [--repeat R] [--realistic]
//
// Prints, per page size: wall time of the paginated list, bytes fetched, throughput, the
// client's peak RSS growth during the list, and its RSS growth retained afterwards (the decoded
// ClusterState).
#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fixture/fixture_server.h"
#include "kube/client.h"
#include "kube/reflector.h"

namespace {

using trimtab::kube::Kind;

long rssKiB(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::strlen(field)));
  }
  return 0;
}

// CPU seconds (user + system) used so far by process pid.
double cpuSecondsOf(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string stat((std::istreambuf_iterator<char>(in)), {});
  auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(stat.substr(close + 2));
  std::string f;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i == 14) utime = std::stoull(f);
    if (i == 15) stime = std::stoull(f);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::string readAll(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// What a pod read from a real API server also carries: managedFields, conditions, container
// statuses, service-account volume, tolerations (about 4 KiB of JSON per pod in all).
void addRealisticBulk(nlohmann::json& pod, std::size_t i) {
  using nlohmann::json;
  json fields = json::parse(
      R"({"f:metadata":{"f:generateName":{},"f:labels":{".":{},"f:app":{},"f:pod-template-hash":{}},"f:ownerReferences":{".":{},"k:{\"uid\":\"11111111-2222-4333-8444-555555555555\"}":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"nginx\"}":{".":{},"f:image":{},"f:imagePullPolicy":{},"f:name":{},"f:resources":{".":{},"f:limits":{".":{},"f:memory":{}},"f:requests":{".":{},"f:cpu":{},"f:memory":{}}},"f:terminationMessagePath":{},"f:terminationMessagePolicy":{}}},"f:dnsPolicy":{},"f:enableServiceLinks":{},"f:restartPolicy":{},"f:schedulerName":{},"f:securityContext":{},"f:terminationGracePeriodSeconds":{}}})");
  pod["metadata"]["managedFields"] = {
      {{"manager", "kube-controller-manager"},
       {"operation", "Update"},
       {"apiVersion", "v1"},
       {"time", "2026-01-01T00:00:00Z"},
       {"fieldsType", "FieldsV1"},
       {"fieldsV1", fields}},
      {{"manager", "kubelet"},
       {"operation", "Update"},
       {"apiVersion", "v1"},
       {"time", "2026-01-01T00:00:05Z"},
       {"fieldsType", "FieldsV1"},
       {"subresource", "status"},
       {"fieldsV1",
        json::parse(
            R"({"f:status":{"f:conditions":{},"f:containerStatuses":{},"f:hostIP":{},"f:phase":{},"f:podIP":{},"f:podIPs":{},"f:startTime":{}}})")}}};
  pod["metadata"]["labels"]["pod-template-hash"] = "7c5ddbdf54";
  pod["spec"]["tolerations"] = json::parse(
      R"([{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300},{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}])");
  pod["spec"]["volumes"] = json::parse(
      R"([{"name":"kube-api-access-x7k2p","projected":{"sources":[{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},{"configMap":{"name":"kube-root-ca.crt","items":[{"key":"ca.crt","path":"ca.crt"}]}},{"downwardAPI":{"items":[{"path":"namespace","fieldRef":{"apiVersion":"v1","fieldPath":"metadata.namespace"}}]}}],"defaultMode":420}}])");
  pod["status"]["conditions"] = json::parse(
      R"([{"type":"Initialized","status":"True","lastTransitionTime":"2026-01-01T00:00:00Z"},{"type":"Ready","status":"True","lastTransitionTime":"2026-01-01T00:00:04Z"},{"type":"ContainersReady","status":"True","lastTransitionTime":"2026-01-01T00:00:04Z"},{"type":"PodScheduled","status":"True","lastTransitionTime":"2026-01-01T00:00:00Z"}])");
  pod["status"]["hostIP"] = fmt::format("10.0.{}.{}", (i / 250) % 250, i % 250);
  pod["status"]["podIP"] = fmt::format("10.244.{}.{}", (i / 250) % 250, i % 250);
  pod["status"]["containerStatuses"] = json::parse(
      R"([{"name":"nginx","state":{"running":{"startedAt":"2026-01-01T00:00:03Z"}},"lastState":{},"ready":true,"restartCount":0,"image":"docker.io/library/nginx:1.25","imageID":"docker.io/library/nginx@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31","containerID":"containerd://4f1c2a9e6b0d4a3f8e2b7c5d9a1e3f6b8c0d2e4f6a8b0c2d4e6f8a0b2c4d6e8f","started":true}])");
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t pods = 100'000;
  int repeat = 3;
  bool realistic = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--realistic")
      realistic = true;
    else if (a == "--pods" && i + 1 < argc)
      pods = std::stoul(argv[++i]);
    else if (a == "--repeat" && i + 1 < argc)
      repeat = std::stoi(argv[++i]);
  }
  char tmpl[] = "/tmp/trimtab-kube-bench-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  trimtab::kube::fixture::Certs certs;
  std::string error;
  if (!trimtab::kube::fixture::makeCerts(dir + "/pki", &certs, &error)) {
    std::fprintf(stderr, "kube_list_bench: %s\n", error.c_str());
    return 1;
  }
  int ready[2];
  if (pipe(ready) != 0) return 1;
  pid_t child = fork();
  if (child == 0) {
    close(ready[0]);
    trimtab::kube::fixture::ServerOptions o;
    o.server_cert = certs.server_cert;
    o.server_key = certs.server_key;
    o.client_ca = certs.ca_cert;
    o.tokens = {"bench-token"};
    trimtab::kube::fixture::Server server(o);
    if (!server.start(&error)) _exit(1);
    auto deployment =
        nlohmann::json::parse(readAll(std::string(TRIMTAB_KUBE_FIXTURE_DATA) + "/deployment.json"));
    for (std::size_t i = 0; i < pods; ++i) {
      auto pod = trimtab::kube::fixture::Server::podFromTemplate(
          deployment, fmt::format("ns-{}", i % 200), fmt::format("web-{}-{:06d}", i % 1000, i),
          fmt::format("node-{}", i % 2000));
      if (realistic) addRealisticBulk(pod, i);
      server.create(Kind::kPod, pod);
    }
    int port = server.port();
    if (write(ready[1], &port, sizeof port) != sizeof port) _exit(1);
    close(ready[1]);
    pause();  // until killed
    _exit(0);
  }
  close(ready[1]);
  int port = 0;
  if (read(ready[0], &port, sizeof port) != sizeof port) {
    std::fprintf(stderr, "kube_list_bench: fixture server failed to start\n");
    return 1;
  }

  trimtab::kube::RestConfig rc;
  rc.server = fmt::format("https://127.0.0.1:{}", port);
  rc.tls.ca_file = certs.ca_cert;
  rc.auth.bearer_token = "bench-token";
  rc.origin = "bench";

  std::printf("list + decode %zu %spods from the fixture server (TLS, HTTP/1.1, same machine)\n",
              pods, realistic ? "realistic (managedFields, statuses) " : "kubectl-template ");
  std::printf("%-10s %-18s %7s %11s %12s %8s %14s %14s %12s\n", "page size", "what", "wall s",
              "client CPU s", "MiB fetched", "MiB/s", "peak RSS +MiB", "kept RSS +MiB",
              "server CPU s");
  for (std::size_t page : {std::size_t{500}, std::size_t{5000}, std::size_t{0}}) {
    for (int mode = 0; mode < 2; ++mode) {
      for (int r = 0; r < repeat; ++r) {
        // Each measurement in a fresh child process, so one run's freed heap does not hide the
        // next run's growth.
        std::fflush(stdout);
        double server_cpu_before = cpuSecondsOf(child);
        pid_t measurer = fork();
        if (measurer != 0) {
          int status = 0;
          waitpid(measurer, &status, 0);
          if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return 1;
          std::printf(" %12.2f\n", cpuSecondsOf(child) - server_cpu_before);
          std::fflush(stdout);
          continue;
        }
        trimtab::kube::KubeClientOptions ko;
        ko.page_size = page == 0 ? 1'000'000'000 : page;
        auto client = trimtab::kube::KubeClient::create(rc, ko);
        if (!client) {
          std::fprintf(stderr, "%s\n", client.error().message.c_str());
          return 1;
        }
        long before = rssKiB("VmRSS:");
        // Reset the peak counter so VmHWM measures this run only.
        std::ofstream("/proc/self/clear_refs") << "5";
        auto start = std::chrono::steady_clock::now();
        std::size_t decoded = 0;
        std::size_t bytes = 0;
        trimtab::kube::ClusterState state;
        if (mode == 0) {
          // Streaming only: decode every pod, keep none.
          auto meta =
              (*client)->list(Kind::kPod, [&](trimtab::model::DecodeResult&& b) -> trimtab::Status {
                decoded += b.objects.pods.size();
                return {};
              });
          if (!meta) {
            std::fprintf(stderr, "%s\n", meta.error().message.c_str());
            return 1;
          }
          bytes = meta->bytes;
        } else {
          // The reflector path: decode and keep every pod in a ClusterState.
          trimtab::FakeClock clock(0);
          trimtab::kube::Reflector reflector(**client, Kind::kPod, state, clock);
          if (auto s = reflector.list(); !s) {
            std::fprintf(stderr, "%s\n", s.error().message.c_str());
            return 1;
          }
          decoded = state.count(Kind::kPod);
          bytes = reflector.lastListBytes();
        }
        double secs =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        long peak = rssKiB("VmHWM:");
        long after = rssKiB("VmRSS:");
        if (decoded != pods) {
          std::fprintf(stderr, "decoded %zu pods, expected %zu\n", decoded, pods);
          return 1;
        }
        double mib = static_cast<double>(bytes) / (1 << 20);
        rusage ru{};
        getrusage(RUSAGE_SELF, &ru);
        double cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                     static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
        std::printf("%-10s %-18s %7.2f %11.2f %12.1f %8.0f %14.0f %14.0f",
                    page == 0 ? "none" : std::to_string(page).c_str(),
                    mode == 0 ? "stream+decode" : "decode into state", secs, cpu, mib, mib / secs,
                    static_cast<double>(peak - before) / 1024.0,
                    static_cast<double>(after - before) / 1024.0);
        std::fflush(stdout);
        _exit(0);
      }
    }
  }
  kill(child, SIGTERM);
  waitpid(child, nullptr, 0);
  std::system(("rm -rf '" + dir + "'").c_str());
  return 0;
}
