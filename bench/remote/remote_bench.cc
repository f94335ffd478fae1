// Remote-write ingest benchmark.
//
//   remote_bench [--trimtab build/release/trimtab] [--series 250000] [--rounds 10] [--clients 4]
//
// Builds Prometheus-shaped requests (2,000 samples each, one sample per series per request,
// cAdvisor/kube-state-metrics-like label sets) for `--series` active series, `--rounds` scrapes
// each, then:
//   1. decode only: snappy + protobuf decode on one core, samples/s;
//   2. end to end: `trimtab agent` on 127.0.0.1, `--clients` keep-alive HTTP clients POSTing
//      the requests; every 204 means the samples are in the fdatasync'ed WAL; acknowledged
//      samples/s, the agent's peak RSS, WAL syncs (group commits) and bytes per sample.
#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "remote/write_request.h"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string arg(int argc, char** argv, const char* name, const char* fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  }
  return fallback;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

double procMiB(pid_t pid, const char* field) {
  const std::string status = slurp(fmt::format("/proc/{}/status", pid));
  const auto at = status.find(field);
  return at == std::string::npos ? 0 : std::stod(status.substr(at + std::strlen(field))) / 1024.0;
}

std::size_t discard(char*, std::size_t size, std::size_t n, void*) { return size * n; }

class Noop final : public trimtab::source::SampleSink {
 public:
  void onSample(const trimtab::source::Sample& s) override { sum += s.value; }
  double sum = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const std::string trimtab = arg(argc, argv, "--trimtab", "build/release/trimtab");
  const int series_count = std::stoi(arg(argc, argv, "--series", "250000"));
  const int rounds = std::stoi(arg(argc, argv, "--rounds", "10"));
  const int clients = std::stoi(arg(argc, argv, "--clients", "4"));
  constexpr int kPerRequest = 2000;

  // Label sets shaped like cAdvisor's container series.
  auto labelsOf = [](int i) {
    std::vector<std::pair<std::string, std::string>> l;
    const char* metrics[] = {"container_cpu_usage_seconds_total", "container_memory_working_set_bytes",
                             "kube_pod_container_resource_requests", "kube_pod_container_status_running"};
    l.emplace_back("__name__", metrics[i % 4]);
    l.emplace_back("container", fmt::format("app-{}", (i / 4) % 7));
    l.emplace_back("instance", fmt::format("ip-10-0-{}-{}.ec2.internal", (i / 1000) % 250, (i / 4) % 250));
    l.emplace_back("job", "kubernetes-cadvisor");
    l.emplace_back("namespace", fmt::format("team-{}", (i / 400) % 60));
    l.emplace_back("pod", fmt::format("workload-{}-7d9f8c6b5-{:05}", (i / 40) % 900, i / 4));
    return l;
  };
  const auto t_build = Clock::now();
  std::vector<std::string> bodies;
  std::uint64_t raw_bytes = 0, total_samples = 0;
  const std::int64_t t0 = 1767225600000;
  for (int r = 0; r < rounds; ++r) {
    for (int first = 0; first < series_count; first += kPerRequest) {
      std::vector<trimtab::remote::Series> batch;
      for (int i = first; i < std::min(series_count, first + kPerRequest); ++i) {
        trimtab::remote::Series s;
        s.labels = labelsOf(i);
        s.samples.emplace_back(static_cast<double>(i % 1000) * 1.5 + r, t0 + static_cast<std::int64_t>(r) * 60000);
        batch.push_back(std::move(s));
      }
      const std::string raw = trimtab::remote::encodeWriteRequest(batch);
      raw_bytes += raw.size();
      total_samples += batch.size();
      bodies.push_back(trimtab::remote::snappyCompress(raw));
    }
  }
  std::uint64_t compressed = 0;
  for (const auto& b : bodies) compressed += b.size();
  std::printf("remote_bench: %d active series, %d rounds, %zu requests of %d samples; protobuf %.1f MB, snappy %.1f MB "
              "(built in %.1f s)\n\n",
              series_count, rounds, bodies.size(), kPerRequest, static_cast<double>(raw_bytes) / 1e6,
              static_cast<double>(compressed) / 1e6,
              std::chrono::duration<double>(Clock::now() - t_build).count());

  // 1. Decode only.
  {
    Noop sink;
    const auto t = Clock::now();
    std::uint64_t n = 0;
    for (const auto& b : bodies) {
      auto raw = trimtab::remote::snappyUncompress(b, 1u << 30);
      auto stats = trimtab::remote::decodeWriteRequest(*raw, &sink);
      n += stats->samples;
    }
    const double s = std::chrono::duration<double>(Clock::now() - t).count();
    std::printf("| stage | samples | seconds | samples/s | notes |\n|---|---|---|---|---|\n");
    std::printf("| snappy + protobuf decode, 1 core | %llu | %.2f | %.2f M | |\n", static_cast<unsigned long long>(n), s,
                static_cast<double>(n) / s / 1e6);
  }

  // 2. End to end through the agent.
  const std::string dir = fs::temp_directory_path() / fmt::format("trimtab-remote-bench-{}", ::getpid());
  fs::create_directories(dir);
  std::vector<std::string> args = {trimtab, "agent", "--store", dir + "/store.db", "--listen", "127.0.0.1:0",
                                   "--grace", "86400", "--quiet", "--workers", std::to_string(clients)};
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  cargs.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, (dir + "/out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, (dir + "/err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  if (::posix_spawn(&pid, cargs[0], &actions, nullptr, cargs.data(), environ) != 0) {
    std::fputs("remote_bench: cannot start the agent\n", stderr);
    return 1;
  }
  int port = 0;
  for (int i = 0; i < 500 && port == 0; ++i) {
    const std::string out = slurp(dir + "/out");
    if (out.find('\n') != std::string::npos) port = std::stoi(out.substr(out.rfind(':') + 1));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (port == 0) {
    std::fprintf(stderr, "remote_bench: the agent did not start: %s\n", slurp(dir + "/err").c_str());
    return 1;
  }
  curl_global_init(CURL_GLOBAL_ALL);
  const std::string url = fmt::format("http://127.0.0.1:{}/api/v1/write", port);
  std::atomic<std::size_t> next{0};
  std::atomic<std::uint64_t> acked{0}, failed{0};
  const auto t = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      CURL* curl = curl_easy_init();
      curl_slist* headers = nullptr;
      headers = curl_slist_append(headers, "Content-Encoding: snappy");
      headers = curl_slist_append(headers, "Content-Type: application/x-protobuf");
      curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
      curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
      curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
      curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
      for (std::size_t i; (i = next.fetch_add(1)) < bodies.size();) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, bodies[i].data());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(bodies[i].size()));
        long status = 0;
        if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        if (status == 204) {
          acked += std::min<std::uint64_t>(kPerRequest, total_samples);
        } else {
          failed++;
        }
      }
      curl_slist_free_all(headers);
      curl_easy_cleanup(curl);
    });
  }
  for (auto& th : threads) th.join();
  const double s = std::chrono::duration<double>(Clock::now() - t).count();
  const double peak = procMiB(pid, "VmHWM:");
  std::string metrics;
  {
    CURL* curl = curl_easy_init();
    const std::string murl = fmt::format("http://127.0.0.1:{}/metrics", port);
    curl_easy_setopt(curl, CURLOPT_URL, murl.c_str());
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, +[](char* p, std::size_t sz, std::size_t n, void* u) {
      static_cast<std::string*>(u)->append(p, sz * n);
      return sz * n;
    });
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &metrics);
    curl_easy_perform(curl);
    curl_easy_cleanup(curl);
  }
  auto metric = [&](const char* name) {
    const auto at = metrics.find(std::string("\n") + name + " ");
    return at == std::string::npos ? std::string("?") : metrics.substr(at + std::strlen(name) + 2, metrics.find('\n', at + 1) - at - std::strlen(name) - 2);
  };
  std::printf("| agent: HTTP + decode + WAL fdatasync, %d clients | %llu | %.2f | %.2f M | %llu failed; %s group commits; "
              "WAL %.1f bytes/sample; agent peak RSS %.0f MiB |\n",
              clients, static_cast<unsigned long long>(acked.load()), s, static_cast<double>(acked.load()) / s / 1e6,
              static_cast<unsigned long long>(failed.load()), metric("trimtab_wal_syncs_total").c_str(),
              std::stod(metric("trimtab_wal_bytes")) / static_cast<double>(std::max<std::uint64_t>(1, acked.load())), peak);
  ::kill(pid, SIGTERM);
  ::waitpid(pid, nullptr, 0);
  fs::remove_all(dir);
  return 0;
}
