#include "agent/agent.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "cost/json.h"
#include "ingest/window_fold.h"
#include "kube/client.h"
#include "kube/config.h"
#include "kube/reflector.h"
#include "prom/backfill.h"
#include "pricing/catalog.h"
#include "pricing/custom.h"
#include "pricing/pricer.h"
#include "remote/write_request.h"

namespace trimtab::agent {

namespace {

namespace fs = std::filesystem;

// Structured log lines on stderr; the same message key repeats at most once per interval, the
// next line says how many were suppressed.
class Logger {
 public:
  explicit Logger(bool json) : json_(json) {}
  void setJson(bool json) { json_ = json; }
  void log(std::string_view level, std::string_view key, const std::string& message) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    auto& state = seen_[std::string(key)];
    if (state.last.time_since_epoch().count() != 0 && now - state.last < std::chrono::seconds(10)) {
      state.suppressed++;
      return;
    }
    std::string text = message;
    if (state.suppressed > 0) text += fmt::format(" ({} similar messages suppressed)", state.suppressed);
    state.suppressed = 0;
    state.last = now;
    if (json_) {
      std::string line = "{\"ts\":";
      cost::appendJsonString(line, cost::formatRfc3339(static_cast<double>(std::time(nullptr))));
      line += ",\"level\":";
      cost::appendJsonString(line, level);
      line += ",\"event\":";
      cost::appendJsonString(line, key);
      line += ",\"msg\":";
      cost::appendJsonString(line, text);
      line += "}\n";
      std::fputs(line.c_str(), stderr);
    } else {
      std::fprintf(stderr, "trimtab agent: %s: %s\n", std::string(level).c_str(), text.c_str());
    }
  }

 private:
  struct State {
    std::chrono::steady_clock::time_point last{};
    std::uint64_t suppressed = 0;
  };
  bool json_;
  std::mutex mutex_;
  std::map<std::string, State> seen_;
};

Status writeMarker(const std::string& dir, UnixSeconds flushed_until) {
  const std::string tmp = dir + "/flushed_until.tmp", path = dir + "/flushed_until";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fail(ErrorCode::kIo, fmt::format("writing {}", tmp));
  const std::string text = std::to_string(flushed_until) + "\n";
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    return fail(ErrorCode::kIo, fmt::format("writing {}", path));
  }
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

UnixSeconds readMarker(const std::string& dir) {
  std::ifstream in(dir + "/flushed_until");
  long long v = 0;
  if (in >> v) return v;
  return 0;
}

UnixSeconds floorHour(UnixSeconds t) { return t - ((t % 3600) + 3600) % 3600; }

}  // namespace

Result<FoldReport> foldHour(const remote::Wal& wal, store::Store& store, const std::string& cluster,
                            const std::string& pricing_file, UnixSeconds hour, std::int64_t context_seconds,
                            const model::Inventory* inventory) {
  FoldReport report;
  report.hour = hour;
  std::optional<pricing::CustomPricing> custom;
  if (!pricing_file.empty()) {
    auto loaded = pricing::loadCustomPricing(pricing_file);
    if (!loaded) return fail(loaded.error());
    custom = std::move(*loaded);
  }
  const pricing::Pricer pricer(pricing::Catalog::builtin(), std::move(custom));
  const std::int64_t from_ms = (hour - context_seconds) * 1000, to_ms = (hour + 3600 + context_seconds) * 1000;
  auto folded = ingest::foldWindow(
      store, cluster, pricer, hour, hour + 3600, context_seconds,
      [&](source::SampleSink& sink, bool) -> Status {
        return wal.scan(from_ms, to_ms, [&](std::string_view body) -> Status {
          auto raw = remote::snappyUncompress(body, 1u << 30);
          if (!raw) return fail(raw.error().withContext("WAL record"));
          auto decoded = remote::decodeWriteRequest(*raw, &sink);
          if (!decoded) return fail(decoded.error().withContext("WAL record"));
          return {};
        });
      },
      inventory);
  if (!folded) return fail(folded.error());
  report.samples = folded->samples;
  report.containers = folded->containers;
  report.written = folded->hours_written > 0;
  return report;
}

struct Agent::Impl : server::Handler {
  AgentOptions options;
  Logger log{false};
  std::unique_ptr<store::Store> writer;  // the agent's own read-write connection
  std::unique_ptr<remote::Wal> wal;
  std::unique_ptr<server::Api> api;     // read-only connection; sees commits via refresh()
  std::unique_ptr<server::HttpServer> http;
  std::unique_ptr<prom::Source> source;  // pull mode
  // Kubernetes objects (options.kube): one client and reflector per kind, run on their own threads.
  kube::ClusterState cluster_state;
  std::vector<std::unique_ptr<kube::KubeClient>> kube_clients;
  std::vector<std::unique_ptr<kube::Reflector>> reflectors;
  std::vector<std::thread> reflector_threads;
  std::atomic<bool> reflectors_stop{false};

  bool waited_for_lists = false;

  // The objects to fold with: null without --kube. The first call waits (up to a minute) for
  // every kind's first list; later calls take the objects as they are.
  std::optional<model::Inventory> inventory() {
    if (reflectors.empty()) return std::nullopt;
    for (int i = 0; i < 600 && !waited_for_lists; ++i) {
      bool all = true;
      for (const auto& r : reflectors) all = all && r->lists() > 0;
      if (all || stopping) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    waited_for_lists = true;
    return cluster_state.inventory();
  }

  // Builds the inventory on first use only: most flushes have nothing to fold.
  struct LazyInventory {
    Impl& impl;
    bool built = false;
    std::optional<model::Inventory> value;
    const model::Inventory* get() {
      if (!built) {
        value = impl.inventory();
        built = true;
      }
      return value ? &*value : nullptr;
    }
  };
  std::int64_t pull_step_ms = 0;          // detected once, then reused
  std::mutex fold_mutex;          // held for whole folds
  std::atomic<UnixSeconds> flushed_until{0};  // hours before this are folded
  // End of the hour being folded now: samples for it that arrive during its fold (after the WAL
  // scan began) make it fold again, so none is missed.
  std::atomic<UnixSeconds> folding_until{0};
  std::mutex refold_mutex;        // short: guards `refold`
  std::set<UnixSeconds> refold;   // folded hours that received late samples
  std::atomic<bool> ready{false};
  std::atomic<bool> stopping{false};
  std::mutex stop_mutex;
  std::condition_variable stop_cv;

  // Counters for /metrics.
  std::atomic<std::uint64_t> rw_requests{0}, rw_samples{0}, rw_bad{0}, rw_busy{0}, rw_late{0};
  std::atomic<std::uint64_t> hours_folded{0}, fold_errors{0}, rw_dropped_late{0}, hours_refolded{0};

  UnixSeconds now() const { return options.now ? options.now() : SystemClock::instance().nowSeconds(); }

  std::optional<server::Response> fast(const server::Request& r) override {
    if (r.path() == "/api/v1/write") return std::nullopt;  // decoding and the WAL sync run on a worker
    if (r.path() == "/readyz") {
      return ready ? server::Response::text(200, "application/json", "{\"status\":\"ready\"}")
                   : server::Response::error(503, source ? "catching up: pulling hours from the PromQL backend"
                                                         : "catching up: folding hours from the write-ahead log");
    }
    return api->fast(r);
  }

  server::Response slow(const server::Request& r) override {
    if (r.path() == "/api/v1/write") return receive(r);
    server::Response resp = api->slow(r);
    if (r.path() == "/metrics" && resp.status == 200 && resp.body) {
      std::string text = *resp.body + agentMetrics();
      resp.body = std::make_shared<const std::string>(std::move(text));
    }
    return resp;
  }

  void completed(const server::Request& r, int status, double seconds, std::size_t bytes) override {
    api->completed(r, status, seconds, bytes);
  }

  server::Response receive(const server::Request& r) {
    if (source) {
      return server::Response::error(404, "this agent pulls from a PromQL backend (--prometheus); remote-write is off");
    }
    rw_requests++;
    if (r.method != "POST") {
      server::Response resp = server::Response::error(405, "remote-write takes POST");
      resp.headers.emplace_back("Allow", "POST");
      return resp;
    }
    if (wal->bytesOnDisk() > options.max_wal_backlog_bytes) {
      rw_busy++;
      log.log("warn", "backpressure", fmt::format("write-ahead log backlog over {} bytes: answering 503 until hours are folded",
                                                  options.max_wal_backlog_bytes));
      server::Response resp = server::Response::error(503, "write-ahead log backlog is full; retry later");
      resp.headers.emplace_back("Retry-After", "5");
      return resp;
    }
    auto raw = remote::snappyUncompress(r.body, 8 * options.max_body_bytes);
    if (!raw) {
      rw_bad++;
      log.log("warn", "bad_body", fmt::format("rejected a remote-write body from {}: {}", r.remote, raw.error().message));
      return server::Response::error(400, raw.error().message);
    }
    auto stats = remote::decodeWriteRequest(*raw, nullptr);
    if (!stats) {
      rw_bad++;
      log.log("warn", "bad_body", fmt::format("rejected a remote-write body from {}: {}", r.remote, stats.error().message));
      return server::Response::error(400, stats.error().message);
    }
    if (stats->samples == 0) return server::Response::text(204, "text/plain", "");
    if (auto s = wal->append(r.body, stats->min_timestamp_ms, stats->max_timestamp_ms); !s) {
      log.log("error", "wal", s.error().message);
      return server::Response::error(503, "the write-ahead log could not be written; retry later");
    }
    noteLate(stats->min_timestamp_ms, stats->max_timestamp_ms);
    rw_samples += stats->samples;
    return server::Response::text(204, "text/plain", "");
  }

  UnixSeconds flushedUntil() const { return flushed_until.load(); }

  // Samples for hours already folded: refold those hours (the WAL keeps `wal_retention`
  // seconds of folded data so a refold sees the whole hour); older ones cannot be refolded.
  void noteLate(std::int64_t min_ms, std::int64_t max_ms) {
    const UnixSeconds folded = std::max(flushedUntil(), folding_until.load());
    // A sample also affects the previous hour through its interval: take the context too.
    const UnixSeconds first = floorHour(min_ms / 1000 - options.context_seconds);
    if (first >= folded) return;
    rw_late++;
    const UnixSeconds last = std::min(floorHour(max_ms / 1000 + options.context_seconds), folded - 3600);
    const UnixSeconds keep_from = folded - options.wal_retention_seconds;
    bool dropped = false;
    {
      std::lock_guard<std::mutex> lock(refold_mutex);
      for (UnixSeconds h = first; h <= last; h += 3600) {
        if (h >= keep_from) {
          refold.insert(h);
        } else {
          dropped = true;
        }
      }
    }
    if (dropped) {
      rw_dropped_late++;
      log.log("warn", "late", fmt::format("samples at {} arrived after their hour was folded and beyond the write-ahead "
                                          "log's {} s retention; that hour is not refolded",
                                          cost::formatRfc3339(static_cast<double>(min_ms) / 1000),
                                          options.wal_retention_seconds));
    }
  }

  std::string agentMetrics() const {
    const remote::WalStats w = wal->stats();
    std::string o;
    auto counter = [&](const char* name, const char* help, std::uint64_t v) {
      o += fmt::format("# HELP {0} {1}\n# TYPE {0} counter\n{0} {2}\n", name, help, v);
    };
    auto gauge = [&](const char* name, const char* help, double v) {
      o += fmt::format("# HELP {0} {1}\n# TYPE {0} gauge\n{0} {2}\n", name, help, v);
    };
    counter("trimtab_remote_write_requests_total", "Remote-write requests received", rw_requests.load());
    counter("trimtab_remote_write_samples_total", "Samples acknowledged (durable in the write-ahead log)", rw_samples.load());
    counter("trimtab_remote_write_rejected_total", "Remote-write bodies refused as undecodable (400)", rw_bad.load());
    counter("trimtab_remote_write_backpressure_total", "Remote-write requests answered 503 under backpressure", rw_busy.load());
    counter("trimtab_remote_write_late_requests_total", "Requests with samples for hours already folded (refolded)", rw_late.load());
    counter("trimtab_remote_write_dropped_late_total", "Requests with samples too old to refold (beyond WAL retention)",
            rw_dropped_late.load());
    counter("trimtab_hours_refolded_total", "Folded hours folded again because late samples arrived", hours_refolded.load());
    counter("trimtab_wal_syncs_total", "fdatasync calls of the write-ahead log (group commits)", w.syncs);
    gauge("trimtab_wal_bytes", "Bytes in the write-ahead log", static_cast<double>(wal->bytesOnDisk()));
    counter("trimtab_hours_folded_total", "Hours folded from the write-ahead log into hour blocks", hours_folded.load());
    counter("trimtab_fold_errors_total", "Failed hour folds (retried at the next flush)", fold_errors.load());
    gauge("trimtab_folded_until_timestamp_seconds", "Hours before this instant are folded",
          static_cast<double>(flushed_until.load()));
    return o;
  }

  // Pull mode: reads every finished, not yet folded hour from the PromQL backend.
  Status pullComplete() {
    const UnixSeconds last_complete_end = floorHour(now() - options.grace_seconds);  // exclusive
    UnixSeconds done = flushed_until.load();
    if (done == 0) done = floorHour(last_complete_end - options.initial_backfill_seconds);
    if (done >= last_complete_end) {
      flushed_until = std::max(flushed_until.load(), done);
      return {};
    }
    prom::BackfillOptions bo;
    bo.cluster = options.cluster;
    bo.pricing_file = options.pricing_file;
    bo.from = done;
    bo.to = last_complete_end;
    bo.step_ms = pull_step_ms > 0 ? pull_step_ms : options.prometheus_step_ms;
    bo.context_seconds = options.context_seconds;
    const std::optional<model::Inventory> objects = inventory();
    bo.inventory = objects ? &*objects : nullptr;
    Status marker;
    bo.progress = [&](UnixSeconds from, UnixSeconds to, const ingest::WindowFoldReport& r) {
      hours_folded += static_cast<std::uint64_t>((to - from) / 3600);
      flushed_until = to;
      if (marker) marker = writeMarker(options.wal_dir, to);
      log.log("info", fmt::format("pull-{}", from),
              fmt::format("pulled {} .. {}: {} hour blocks ({} changed), {} container rows",
                          cost::formatRfc3339(static_cast<double>(from)), cost::formatRfc3339(static_cast<double>(to)),
                          r.hour_blocks, r.hours_written, r.containers));
    };
    auto report = prom::backfill(*source, *writer, bo);
    if (!marker) return marker;
    if (!report) {
      fold_errors++;
      return fail(report.error());
    }
    pull_step_ms = report->step_ms;
    for (const std::string& w : report->warnings) log.log("warn", "pull-warning", w);
    return {};
  }

  Status flushComplete() {
    std::lock_guard<std::mutex> lock(fold_mutex);
    if (source) return pullComplete();
    // Late samples first: hours already folded that received more data.
    std::set<UnixSeconds> again;
    {
      std::lock_guard<std::mutex> rlock(refold_mutex);
      again.swap(refold);
    }
    LazyInventory objects{*this, false, std::nullopt};
    for (UnixSeconds hour : again) {
      auto report =
          foldHour(*wal, *writer, options.cluster, options.pricing_file, hour, options.context_seconds, objects.get());
      if (!report) {
        fold_errors++;
        std::lock_guard<std::mutex> rlock(refold_mutex);
        refold.insert(hour);
        return fail(report.error());
      }
      hours_refolded++;
      log.log("info", fmt::format("refold-{}", hour),
              fmt::format("refolded {} with late samples: {} samples, {} containers",
                          cost::formatRfc3339(static_cast<double>(hour)), report->samples, report->containers));
    }
    const UnixSeconds last_complete_end = floorHour(now() - options.grace_seconds);  // exclusive
    const std::int64_t oldest_ms = wal->oldestTimestampMs();
    const std::int64_t newest_ms = wal->newestTimestampMs();
    UnixSeconds done = flushed_until.load();
    if (oldest_ms == 0 || done >= last_complete_end) return {};
    // Hours past the newest sample (plus context) have nothing to fold.
    const UnixSeconds data_end = newest_ms / 1000 + options.context_seconds + 1;
    UnixSeconds hour = std::max(done, floorHour(oldest_ms / 1000 - options.context_seconds));
    for (; hour + 3600 <= last_complete_end && hour < data_end; hour += 3600) {
      folding_until = hour + 3600;  // before the WAL scan: see noteLate()
      auto report =
          foldHour(*wal, *writer, options.cluster, options.pricing_file, hour, options.context_seconds, objects.get());
      if (!report) {
        fold_errors++;
        log.log("error", "fold", fmt::format("folding {} failed: {}", cost::formatRfc3339(static_cast<double>(hour)),
                                             report.error().message));
        return fail(report.error());
      }
      done = hour + 3600;
      flushed_until = done;
      hours_folded++;
      if (report->samples > 0) {
        // Re-folding an hour is idempotent, so the marker only needs to follow real work.
        if (auto s = writeMarker(options.wal_dir, done); !s) return s;
        log.log("info", fmt::format("fold-{}", hour),
                fmt::format("folded {}: {} samples, {} containers{}", cost::formatRfc3339(static_cast<double>(hour)),
                            report->samples, report->containers, report->written ? "" : " (unchanged)"));
      }
    }
    if (done < last_complete_end && hour >= data_end) done = last_complete_end;
    flushed_until = done;
    if (auto s = writeMarker(options.wal_dir, done); !s) return s;
    (void)wal->truncateBefore((done - options.wal_retention_seconds - options.context_seconds) * 1000);
    return {};
  }
};

Result<std::unique_ptr<Agent>> Agent::create(const AgentOptions& options) {
  std::unique_ptr<Agent> agent(new Agent());
  agent->impl_ = std::make_unique<Impl>();
  Impl& d = *agent->impl_;
  d.options = options;
  if (d.options.wal_dir.empty()) d.options.wal_dir = options.store_path + ".wal";
  d.log.setJson(options.log_json);
  auto writer = store::openSqliteStore(options.store_path, store::OpenMode::kReadWrite);
  if (!writer) return fail(writer.error());
  d.writer = std::move(*writer);
  auto wal = remote::Wal::open(d.options.wal_dir);
  if (!wal) return fail(wal.error());
  d.wal = std::move(*wal);
  d.flushed_until = readMarker(d.options.wal_dir);
  if (options.prometheus) {
    auto source = prom::Source::create(*options.prometheus);
    if (!source) return fail(source.error());
    d.source = std::move(*source);
  }
  if (options.kube) {
    Result<kube::RestConfig> rc = [&]() -> Result<kube::RestConfig> {
      if (options.kube->in_cluster) return kube::inClusterConfig();
      kube::LoadOptions lo;
      lo.kubeconfig_path = options.kube->kubeconfig;
      lo.context = options.kube->context;
      return kube::loadRestConfig(lo);
    }();
    if (!rc) return fail(rc.error().withContext("--kube"));
    Impl* impl = &d;
    kube::ReflectorOptions ro;
    ro.on_error = [impl](const Error& e) { impl->log.log("warn", "kube", e.message); };
    for (const kube::KindInfo& k : kube::kKinds) {
      auto client = kube::KubeClient::create(*rc);
      if (!client) return fail(client.error().withContext("--kube"));
      d.reflectors.push_back(std::make_unique<kube::Reflector>(**client, k.kind, d.cluster_state,
                                                               SystemClock::instance(), ro));
      d.kube_clients.push_back(std::move(*client));
    }
  }
  auto reader = store::openSqliteStore(options.store_path, store::OpenMode::kReadOnly);
  if (!reader) return fail(reader.error());
  server::ApiOptions api_options = options.api;
  api_options.store_path = options.store_path;
  auto api = server::Api::create(std::move(*reader), api_options);
  if (!api) return fail(api.error());
  d.api = std::move(*api);
  server::ServerOptions so = options.server;
  so.max_body_bytes = std::max(so.max_body_bytes, options.max_body_bytes);
  auto http = server::HttpServer::create(so, d);
  if (!http) return fail(http.error());
  d.http = std::move(*http);
  d.api->attachServerStats(&d.http->stats());
  return agent;
}

Agent::~Agent() = default;

int Agent::port() const { return impl_->http->port(); }

Status Agent::flushComplete() { return impl_->flushComplete(); }

void Agent::stop() {
  impl_->stopping = true;
  impl_->stop_cv.notify_all();
  impl_->http->stop();
}

Status Agent::run(bool handle_signals) {
  Impl& d = *impl_;
  for (auto& r : d.reflectors) {
    d.reflector_threads.emplace_back([&d, reflector = r.get()] { reflector->run(d.reflectors_stop); });
  }
  std::thread flusher([&] {
    // Catch up first (hours that finished while the agent was down), then every interval.
    if (auto s = d.flushComplete(); !s) d.log.log("error", "fold", s.error().message);
    d.ready = true;
    d.log.log("info", "ready", fmt::format("ready; hours before {} are folded",
                                           cost::formatRfc3339(static_cast<double>(d.flushedUntil()))));
    std::unique_lock<std::mutex> lock(d.stop_mutex);
    while (!d.stop_cv.wait_for(lock, std::chrono::milliseconds(static_cast<int>(d.options.flush_interval_seconds * 1000)),
                               [&] { return d.stopping.load(); })) {
      lock.unlock();
      if (auto s = d.flushComplete(); !s) d.log.log("error", "fold", s.error().message);
      if (auto s = d.api->pollStore(); !s) d.log.log("error", "refresh", s.error().message);
      lock.lock();
    }
  });
  d.http->run(handle_signals);
  d.stopping = true;
  d.stop_cv.notify_all();
  flusher.join();
  Status last = d.flushComplete();
  d.reflectors_stop = true;
  for (auto& t : d.reflector_threads) t.join();
  d.reflector_threads.clear();
  return last;
}

}  // namespace trimtab::agent
