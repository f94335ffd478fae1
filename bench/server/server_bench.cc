// Load and fault benchmark for `trimtab serve`, driving the real binary with wrk (Debian).
//
//   server_bench --store PATH [--trimtab build/release/trimtab] [--duration 10] [--now UNIX]
//
// PATH is a store such as `query_bench build --store PATH --nodes 1000 --days 30` makes (data
// ending 2026-01-01T00:00:00Z; --now defaults to that instant so "7d" and "30d" cover it).
// Scenarios, one table:
//   1. cached   /allocation?window=7d&aggregate=namespace, wrk -t2 -c64
//   2. uncached 30-day queries (cache off), 8 concurrent clients: p99 and server peak RSS
//   3. 1,000 idle keep-alive connections held open while scenario 1 runs again: errors, RSS
//   4. kill -9 during load, restart: the first answer equals the answer before the kill
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

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

extern char** environ;

namespace {

namespace fs = std::filesystem;

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

int sh(const std::string& command, std::string* out) {
  std::FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) return -1;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out->append(buf, n);
  const int status = ::pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

struct Server {
  pid_t pid = -1;
  int port = 0;
  std::string dir;

  bool start(const std::string& trimtab, const std::string& store, const std::vector<std::string>& extra,
             const std::string& now) {
    dir = fs::temp_directory_path() / fmt::format("trimtab-server-bench-{}-{}", ::getpid(), counter++);
    fs::create_directories(dir);
    std::vector<std::string> args = {trimtab, "serve", "--store", store, "--listen", "127.0.0.1:0", "--quiet"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
    env_strings.push_back("TRIMTAB_NOW=" + now);
    std::vector<char*> envp;
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, (dir + "/out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, (dir + "/err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int rc = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return false;
    for (int i = 0; i < 500; ++i) {
      const std::string out = slurp(dir + "/out");
      if (out.find("listening on") != std::string::npos && out.find('\n') != std::string::npos) {
        port = std::stoi(out.substr(out.rfind(':') + 1));
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  // Peak resident set (VmHWM) in MiB.
  double peakRssMiB() const {
    const std::string status = slurp(fmt::format("/proc/{}/status", pid));
    const auto at = status.find("VmHWM:");
    return at == std::string::npos ? 0 : std::stod(status.substr(at + 6)) / 1024.0;
  }
  double rssMiB() const {
    const std::string status = slurp(fmt::format("/proc/{}/status", pid));
    const auto at = status.find("VmRSS:");
    return at == std::string::npos ? 0 : std::stod(status.substr(at + 6)) / 1024.0;
  }
  void stop(int sig) {
    if (pid <= 0) return;
    ::kill(pid, sig);
    ::waitpid(pid, nullptr, 0);
    pid = -1;
    fs::remove_all(dir);
  }
  std::string url(const std::string& target) const { return fmt::format("http://127.0.0.1:{}{}", port, target); }
  static inline int counter = 0;
};

struct WrkResult {
  double requests_per_second = 0;
  double p50_ms = 0, p99_ms = 0;
  long requests = 0, errors = 0, non2xx = 0;
  std::string raw;
};

double toMillis(const std::string& v) {
  const double x = std::stod(v);
  if (v.find("us") != std::string::npos) return x / 1000;
  if (v.find("ms") != std::string::npos) return x;
  if (v.find('m') != std::string::npos) return x * 60000;
  return x * 1000;  // seconds
}

WrkResult wrk(const std::string& args) {
  WrkResult r;
  (void)sh("wrk --latency " + args + " 2>&1", &r.raw);
  std::istringstream in(r.raw);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string first;
    words >> first;
    if (first == "Requests/sec:") words >> r.requests_per_second;
    if (first == "50%") {
      std::string v;
      words >> v;
      r.p50_ms = toMillis(v);
    }
    if (first == "99%") {
      std::string v;
      words >> v;
      r.p99_ms = toMillis(v);
    }
    if (line.find("requests in") != std::string::npos) r.requests = std::stol(first);
    if (first == "Socket") {  // Socket errors: connect 0, read 0, write 0, timeout 0
      for (std::size_t at = 0; (at = line.find_first_of("0123456789", at)) != std::string::npos;) {
        std::size_t end;
        r.errors += std::stol(line.substr(at), &end);
        at += end;
      }
    }
    if (first == "Non-2xx") r.non2xx = std::stol(line.substr(line.rfind(' ') + 1));
  }
  return r;
}

std::string get(const std::string& url) {
  std::string out;
  (void)sh("curl -s '" + url + "'", &out);
  return out;
}

int openIdle(int port) {
  // CLOEXEC: wrk (started with popen) must not inherit them; its event loop only takes
  // descriptors below 10 + 3 × connections.
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  // One request so the connection is a real keep-alive client, then silence.
  const char req[] = "GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n";
  (void)::send(fd, req, sizeof req - 1, 0);
  char buf[512];
  (void)::recv(fd, buf, sizeof buf, 0);
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string store = arg(argc, argv, "--store", "");
  const std::string trimtab = arg(argc, argv, "--trimtab", "build/release/trimtab");
  const std::string duration = arg(argc, argv, "--duration", "10");
  const std::string now = arg(argc, argv, "--now", "1767225600");
  if (store.empty() || !fs::exists(store)) {
    std::fputs("usage: server_bench --store PATH [--trimtab BIN] [--duration S] [--now UNIX]\n"
                "  (make PATH with: query_bench build --store PATH --nodes 1000 --days 30)\n",
                stderr);
    return 2;
  }
  std::string probe;
  if (sh("command -v wrk", &probe) != 0) {
    std::fputs("server_bench: wrk is not installed (Debian package wrk; scripts/bootstrap installs it)\n", stderr);
    return 2;
  }
  std::printf("server_bench: store %s, %s s per run, TRIMTAB_NOW=%s\n\n", store.c_str(), duration.c_str(), now.c_str());
  std::printf("| scenario | clients | req/s | p50 ms | p99 ms | errors | non-2xx | server RSS MiB (peak) |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");

  const std::string cached_target = "/allocation?window=7d&aggregate=namespace";
  {
    Server s;
    if (!s.start(trimtab, store, {"--io-threads", "1"}, now)) {
      std::fputs("server_bench: the server did not start\n", stderr);
      return 1;
    }
    (void)get(s.url(cached_target));  // warm the cache
    const WrkResult r = wrk(fmt::format("-t2 -c64 -d{}s '{}'", duration, s.url(cached_target)));
    std::printf("| cached 7d namespace (%.0f KB JSON) | 64 | %.0f | %.3f | %.3f | %ld | %ld | %.0f (%.0f) |\n",
                static_cast<double>(get(s.url(cached_target)).size()) / 1000, r.requests_per_second,
                r.p50_ms, r.p99_ms, r.errors, r.non2xx, s.rssMiB(), s.peakRssMiB());
    (void)get(s.url(cached_target) + "' -H 'Accept-Encoding: gzip");  // warm the gzip variant
    const WrkResult g = wrk(fmt::format("-t2 -c64 -d{}s -H 'Accept-Encoding: gzip' '{}'", duration, s.url(cached_target)));
    std::printf("| cached 7d namespace, Accept-Encoding: gzip | 64 | %.0f | %.3f | %.3f | %ld | %ld | %.0f (%.0f) |\n",
                g.requests_per_second, g.p50_ms, g.p99_ms, g.errors, g.non2xx, s.rssMiB(), s.peakRssMiB());
    const std::string small_target = "/allocation?window=7d&aggregate=cluster";
    (void)get(s.url(small_target));
    const WrkResult c = wrk(fmt::format("-t2 -c64 -d{}s '{}'", duration, s.url(small_target)));
    std::printf("| cached 7d cluster (%.0f KB JSON) | 64 | %.0f | %.3f | %.3f | %ld | %ld | %.0f (%.0f) |\n",
                static_cast<double>(get(s.url(small_target)).size()) / 1000, c.requests_per_second, c.p50_ms,
                c.p99_ms, c.errors, c.non2xx, s.rssMiB(), s.peakRssMiB());

    // 1,000 idle keep-alive connections, then the same load.
    std::vector<int> idle;
    for (int i = 0; i < 1000; ++i) {
      const int fd = openIdle(s.port);
      if (fd >= 0) idle.push_back(fd);
    }
    const double rss_idle = s.rssMiB();
    const WrkResult r2 = wrk(fmt::format("-t2 -c64 -d{}s -H 'Accept-Encoding: gzip' '{}'", duration, s.url(cached_target)));
    const std::string status = get(s.url("/api/v1/status"));
    const auto at = status.find("\"connectionsOpen\":");
    const std::string open = at == std::string::npos ? "?" : status.substr(at + 18, status.find(',', at) - at - 18);
    std::printf("| cached 7d namespace gzip + %zu idle keep-alive (server saw %s open) | 64 | %.0f | %.3f | %.3f | %ld | %ld | %.0f idle, %.0f loaded (%.0f) |\n",
                idle.size(), open.c_str(), r2.requests_per_second, r2.p50_ms, r2.p99_ms, r2.errors, r2.non2xx,
                rss_idle, s.rssMiB(), s.peakRssMiB());
    if (r2.errors > 0 || r2.requests == 0) std::fprintf(stderr, "wrk with idle connections:\n%s\n", r2.raw.c_str());
    for (int fd : idle) ::close(fd);
    s.stop(SIGTERM);
  }
  {
    Server s;
    if (!s.start(trimtab, store, {"--cache-mb", "0", "--workers", "2", "--max-concurrent-queries", "16"}, now)) return 1;
    const WrkResult r = wrk(fmt::format("-t2 -c8 -d{}s --timeout 30s '{}'", std::max(20, std::stoi(duration)),
                                        s.url("/allocation?window=30d&aggregate=namespace&step=1d")));
    std::printf("| uncached 30d namespace step=1d (cache off) | 8 | %.2f | %.1f | %.1f | %ld | %ld | %.0f (%.0f) |\n",
                r.requests_per_second, r.p50_ms, r.p99_ms, r.errors, r.non2xx, s.rssMiB(), s.peakRssMiB());
    const WrkResult c = wrk(fmt::format("-t2 -c8 -d{}s --timeout 30s '{}'", std::max(20, std::stoi(duration)),
                                        s.url("/allocation?window=30d&aggregate=controller")));
    std::printf("| uncached 30d controller (cache off) | 8 | %.2f | %.1f | %.1f | %ld | %ld | %.0f (%.0f) |\n",
                c.requests_per_second, c.p50_ms, c.p99_ms, c.errors, c.non2xx, s.rssMiB(), s.peakRssMiB());
    s.stop(SIGTERM);
  }
  {
    // kill -9 under load, restart, compare the first answer with the one before the kill.
    const std::string target = "/allocation?window=7d&aggregate=namespace&includeIdle=true";
    Server s;
    if (!s.start(trimtab, store, {}, now)) return 1;
    const std::string before = get(s.url(target));
    std::thread load([&] { (void)wrk(fmt::format("-t2 -c16 -d5s '{}'", s.url("/allocation?window=30d&aggregate=pod"))); });
    std::this_thread::sleep_for(std::chrono::seconds(2));
    const auto t0 = std::chrono::steady_clock::now();
    s.stop(SIGKILL);
    load.join();
    Server again;
    if (!again.start(trimtab, store, {}, now)) return 1;
    const std::string after = get(again.url(target));
    const double restart_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("| kill -9 under load, restart | 16 | - | - | - | - | - | first answer %s, restart+first query %.2f s |\n",
                after == before && !after.empty() ? "identical" : "DIFFERENT", restart_s);
    again.stop(SIGTERM);
  }
  return 0;
}
