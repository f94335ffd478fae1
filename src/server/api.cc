#include "server/api.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <list>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <sstream>
#include <unordered_map>

#include <fmt/format.h>
#include <zlib.h>

#include "cost/json.h"
#include "cost/window.h"
#include "model/clock.h"
#include "query/allocation_reader.h"
#include "query/assets.h"
#include "recommend/recommend.h"
#include "server/metrics.h"

namespace trimtab::server {

namespace {

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kCsv = "text/csv; charset=utf-8";
constexpr std::string_view kMetricsType = "text/plain; version=0.0.4; charset=utf-8";

UnixSeconds nowSeconds() {
  // TRIMTAB_NOW pins "now" (Unix seconds) so relative windows are reproducible in tests.
  if (const char* env = std::getenv("TRIMTAB_NOW")) return std::atoll(env);
  return SystemClock::instance().nowSeconds();
}

enum class Route {
  kNotFound, kHealth, kReady, kAllocation, kSummary, kAssets, kStatus, kPrices, kSharing, kMetrics,
  kRecommendations
};

Route route(std::string_view path) {
  if (path == "/healthz") return Route::kHealth;
  if (path == "/readyz") return Route::kReady;
  if (path == "/metrics") return Route::kMetrics;
  if (path.substr(0, 7) == "/model/") path.remove_prefix(6);
  if (path == "/allocation" || path == "/allocation/compute") return Route::kAllocation;
  if (path == "/allocation/summary" || path == "/allocation/compute/summary") return Route::kSummary;
  if (path == "/assets") return Route::kAssets;
  if (path == "/api/v1/status") return Route::kStatus;
  if (path == "/api/v1/prices") return Route::kPrices;
  if (path == "/api/v1/sharing") return Route::kSharing;
  if (path == "/api/v1/recommendations") return Route::kRecommendations;
  return Route::kNotFound;
}

std::string_view routeName(Route r) {
  switch (r) {
    case Route::kHealth: return "healthz";
    case Route::kReady: return "readyz";
    case Route::kAllocation: return "allocation";
    case Route::kSummary: return "allocation_summary";
    case Route::kAssets: return "assets";
    case Route::kStatus: return "status";
    case Route::kPrices: return "prices";
    case Route::kSharing: return "sharing";
    case Route::kMetrics: return "metrics";
    case Route::kRecommendations: return "recommendations";
    case Route::kNotFound: break;
  }
  return "not_found";
}

bool constantTimeEquals(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const std::size_t n = std::max(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

int statusFor(const Error& e) {
  switch (e.code) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kParse:
    case ErrorCode::kUnsupported:
      return 400;
    case ErrorCode::kNotFound:
      return 404;
    default:
      return 500;
  }
}

void num(std::string& o, std::string_view key, double v) {
  o += '"';
  o += key;
  o += "\":";
  const double r = cost::roundForResponse(v);
  if (!std::isfinite(r)) {
    o += "null";
  } else {
    o += fmt::format("{}", r == 0 ? 0.0 : r);
  }
}

void str(std::string& o, std::string_view key, std::string_view v) {
  o += '"';
  o += key;
  o += "\":";
  cost::appendJsonString(o, v);
}

void windowJson(std::string& o, double start, double end) {
  o += "{\"start\":";
  cost::appendJsonString(o, cost::formatRfc3339(start));
  o += ",\"end\":";
  cost::appendJsonString(o, cost::formatRfc3339(end));
  o += '}';
}

// Allocations of one step ordered by total cost (descending, then name) and paged.
std::vector<const cost::Allocation*> paged(const cost::AllocationSet& set, std::size_t offset,
                                           std::optional<std::size_t> limit) {
  std::vector<const cost::Allocation*> order;
  order.reserve(set.allocations.size());
  for (const auto& a : set.allocations) order.push_back(&a);
  std::stable_sort(order.begin(), order.end(), [](const cost::Allocation* a, const cost::Allocation* b) {
    if (a->totalCost() != b->totalCost()) return a->totalCost() > b->totalCost();
    return a->name < b->name;
  });
  if (offset >= order.size()) return {};
  order.erase(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(offset));
  if (limit && order.size() > *limit) order.resize(*limit);
  return order;
}

// OpenCost's SummaryAllocationSetRange (core/pkg/opencost/summaryallocation.go):
// {"code":200,"status":"success","data":{"step":<ns>,"sets":[{"allocations":{..},"window":{..}}],"window":{..}}}
// with SummaryAllocation's JSON names (ramByteRequestAverage, efficiency, no totalCost).
std::string summaryJson(const std::vector<cost::AllocationSet>& sets, double step_seconds) {
  std::string o = "{\"code\":200,\"status\":\"success\",\"data\":{";
  o += fmt::format("\"step\":{},\"sets\":[", static_cast<long long>(step_seconds * 1e9));
  for (std::size_t s = 0; s < sets.size(); ++s) {
    if (s) o += ',';
    o += "{\"allocations\":{";
    bool first = true;
    for (const cost::Allocation& a : sets[s].allocations) {
      if (!first) o += ',';
      first = false;
      cost::appendJsonString(o, a.name);
      o += ":{";
      str(o, "name", a.name);
      o += ",\"start\":";
      cost::appendJsonString(o, cost::formatRfc3339(a.start));
      o += ",\"end\":";
      cost::appendJsonString(o, cost::formatRfc3339(a.end));
      o += ',';
      num(o, "cpuCoreRequestAverage", a.cpu_core_request_average);
      o += ',';
      num(o, "cpuCoreLimitAverage", 0);  // limits are not stored
      o += ',';
      num(o, "cpuCoreUsageAverage", a.cpu_core_usage_average);
      o += ',';
      num(o, "cpuCost", a.cpuTotalCost());
      o += ',';
      num(o, "cpuCostIdle", a.cpu_cost_idle);
      o += ',';
      num(o, "gpuRequestAverage", a.gpu_request_average);
      o += ',';
      num(o, "gpuUsageAverage", a.gpu_usage_average);
      o += ',';
      num(o, "gpuCost", a.gpuTotalCost());
      o += ',';
      num(o, "gpuCostIdle", a.gpu_cost_idle);
      o += ',';
      num(o, "networkCost", a.networkTotalCost());
      o += ',';
      num(o, "loadBalancerCost", a.lbTotalCost());
      o += ',';
      num(o, "pvCost", a.pvTotalCost());
      o += ',';
      num(o, "ramByteRequestAverage", a.ram_byte_request_average);
      o += ',';
      num(o, "ramByteLimitAverage", 0);
      o += ',';
      num(o, "ramByteUsageAverage", a.ram_byte_usage_average);
      o += ',';
      num(o, "ramCost", a.ramTotalCost());
      o += ',';
      num(o, "ramCostIdle", a.ram_cost_idle);
      o += ',';
      num(o, "sharedCost", a.shared_cost);
      o += ',';
      num(o, "externalCost", a.external_cost);
      o += ',';
      num(o, "efficiency", a.isIdle() ? 0 : a.totalEfficiency());
      o += '}';
    }
    o += "},\"window\":";
    windowJson(o, static_cast<double>(sets[s].window_start), static_cast<double>(sets[s].window_end));
    o += '}';
  }
  o += "],\"window\":";
  if (sets.empty()) {
    o += "{\"start\":null,\"end\":null}";
  } else {
    windowJson(o, static_cast<double>(sets.front().window_start), static_cast<double>(sets.back().window_end));
  }
  o += "}}";
  return o;
}

std::string csvCell(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string assetsCsv(const std::vector<const query::Asset*>& assets) {
  std::string o =
      "type,key,cluster,name,providerID,instanceType,region,start,end,minutes,cpuCores,ramBytes,"
      "gpuCount,cpuCost,ramCost,gpuCost,preemptible,totalCost,priceSource\n";
  for (const query::Asset* a : assets) {
    o += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", csvCell(a->type),
                     csvCell(a->key), csvCell(a->cluster), csvCell(a->name), csvCell(a->provider_id),
                     csvCell(a->instance_type), csvCell(a->region), cost::formatRfc3339(a->start),
                     cost::formatRfc3339(a->end), cost::roundForResponse(a->minutes),
                     cost::roundForResponse(a->cpu_cores), cost::roundForResponse(a->ram_bytes),
                     cost::roundForResponse(a->gpu_count), cost::roundForResponse(a->cpu_cost),
                     cost::roundForResponse(a->ram_cost), cost::roundForResponse(a->gpu_cost),
                     a->preemptible, cost::roundForResponse(a->total_cost), csvCell(a->price_source));
  }
  return o;
}

// gzip (RFC 1952) of `data`; empty on failure.
std::string gzip(std::string_view data) {
  z_stream z{};
  if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  std::string out(deflateBound(&z, data.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return rc == Z_STREAM_END ? out : std::string();
}

// Bodies under this size go out uncompressed.
constexpr std::size_t kGzipMinBytes = 1024;

}  // namespace

struct Api::Impl {
  ApiOptions options;
  std::unique_ptr<store::Store> store;
  mutable std::shared_mutex store_mutex;  // shared: queries; exclusive: refresh()
  std::string store_path_hint;            // scrubbed from error messages
  SelfMetrics metrics;
  const ServerStats* server_stats = nullptr;

  // Block fingerprints (cluster, kind, start) → checksum, to find what a refresh changed.
  std::map<std::tuple<std::string, int, UnixSeconds>, std::uint64_t> fingerprints;
  std::uint64_t hour_blocks = 0, day_blocks = 0;
  std::pair<UnixSeconds, UnixSeconds> extent{0, 0};

  // Query cache (LRU).
  struct Entry {
    std::string key;
    std::shared_ptr<const std::string> body;
    std::shared_ptr<const std::string> gzip_body;  // null when not worth compressing
    std::string content_type;
    UnixSeconds start = 0, end = 0;
  };
  mutable std::mutex cache_mutex;
  std::list<Entry> lru;  // front = most recent
  std::unordered_map<std::string, std::list<Entry>::iterator> index;
  std::size_t cache_bytes = 0;
  CacheStats cache_stats;
  // Raw request target → cache key, valid for one second of `now` (relative windows resolve
  // against now): a dashboard's repeated request skips parameter parsing entirely.
  std::unordered_map<std::string, std::string> aliases;
  UnixSeconds aliases_now = 0;

  // Bearer token.
  std::mutex token_mutex;
  std::string token;
  struct timespec token_mtime {};
  bool token_ok = true;

  Status loadFingerprints() {
    fingerprints.clear();
    hour_blocks = day_blocks = 0;
    for (auto kind : {store::BlockKind::kHour, store::BlockKind::kDay}) {
      auto blocks = store->listBlocks("", kind, std::numeric_limits<UnixSeconds>::min() / 2,
                                      std::numeric_limits<UnixSeconds>::max() / 2);
      if (!blocks) return fail(blocks.error());
      for (const auto& b : *blocks) {
        fingerprints[{b.cluster, static_cast<int>(kind), b.start}] = b.checksum;
      }
      (kind == store::BlockKind::kHour ? hour_blocks : day_blocks) = blocks->size();
    }
    auto e = store->extent();
    if (!e) return fail(e.error());
    extent = *e;
    return {};
  }

  Status reloadToken() {
    if (options.bearer_token_file.empty()) return {};
    struct stat st {};
    std::lock_guard<std::mutex> lock(token_mutex);
    if (::stat(options.bearer_token_file.c_str(), &st) != 0) {
      // A token file that disappears locks everyone out rather than opening the server.
      if (token_ok) {
        std::fprintf(stderr, "trimtab serve: bearer token file %s is unreadable; refusing requests\n",
                     options.bearer_token_file.c_str());
      }
      token_ok = false;
      token.clear();
      return {};
    }
    if (token_ok && !token.empty() && st.st_mtim.tv_sec == token_mtime.tv_sec &&
        st.st_mtim.tv_nsec == token_mtime.tv_nsec) {
      return {};
    }
    std::ifstream in(options.bearer_token_file);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string t = ss.str();
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
    if (t.empty()) {
      if (token_ok) {
        std::fprintf(stderr, "trimtab serve: bearer token file %s is empty; refusing requests\n",
                     options.bearer_token_file.c_str());
      }
      token_ok = false;
      token.clear();
      return {};
    }
    token = std::move(t);
    token_mtime = st.st_mtim;
    token_ok = true;
    return {};
  }

  bool authorized(const Request& r) {
    if (options.bearer_token_file.empty()) return true;
    std::lock_guard<std::mutex> lock(token_mutex);
    if (!token_ok || token.empty()) return false;
    constexpr std::string_view kBearer = "Bearer ";
    std::string_view h = r.authorization;
    if (h.size() <= kBearer.size() || h.substr(0, kBearer.size()) != kBearer) return false;
    return constantTimeEquals(h.substr(kBearer.size()), token);
  }

  // By raw target: nullopt when no alias is known (not counted as a miss).
  std::optional<Response> cacheGetByTarget(const std::string& target, UnixSeconds now, bool accepts_gzip) {
    if (options.cache_bytes == 0) return std::nullopt;
    std::lock_guard<std::mutex> lock(cache_mutex);
    if (aliases_now != now) {
      aliases.clear();
      aliases_now = now;
      return std::nullopt;
    }
    auto a = aliases.find(target);
    if (a == aliases.end()) return std::nullopt;
    auto it = index.find(a->second);
    if (it == index.end()) return std::nullopt;
    return hitLocked(it->second, accepts_gzip);
  }

  std::optional<Response> cacheGet(const std::string& key, const std::string& target, UnixSeconds now,
                                   bool accepts_gzip) {
    if (options.cache_bytes == 0) return std::nullopt;
    std::lock_guard<std::mutex> lock(cache_mutex);
    auto it = index.find(key);
    if (it == index.end()) {
      cache_stats.misses++;
      metrics.cache(false);
      return std::nullopt;
    }
    if (aliases_now == now && aliases.size() < 10000) aliases.emplace(target, key);
    return hitLocked(it->second, accepts_gzip);
  }

  std::optional<Response> hitLocked(std::list<Entry>::iterator entry, bool accepts_gzip) {
    lru.splice(lru.begin(), lru, entry);
    cache_stats.hits++;
    metrics.cache(true);
    Response r;
    r.content_type = entry->content_type;
    if (accepts_gzip && entry->gzip_body) {
      r.body = entry->gzip_body;
      r.headers.emplace_back("Content-Encoding", "gzip");
    } else {
      r.body = entry->body;
    }
    r.headers.emplace_back("Vary", "Accept-Encoding");
    r.headers.emplace_back("X-Trimtab-Cache", "hit");
    return r;
  }

  static std::size_t entryBytes(const Entry& e) {
    return e.body->size() + (e.gzip_body ? e.gzip_body->size() : 0);
  }

  void cachePut(const std::string& key, const Response& r, std::shared_ptr<const std::string> gzipped,
                UnixSeconds start, UnixSeconds end) {
    if (options.cache_bytes == 0 || !r.body || r.body->size() > options.cache_bytes / 4) return;
    std::lock_guard<std::mutex> lock(cache_mutex);
    aliases.clear();  // an alias may point at the entry being replaced or evicted
    if (auto it = index.find(key); it != index.end()) {
      cache_bytes -= entryBytes(*it->second);
      lru.erase(it->second);
      index.erase(it);
    }
    lru.push_front(Entry{key, r.body, std::move(gzipped), r.content_type, start, end});
    index[key] = lru.begin();
    cache_bytes += entryBytes(lru.front());
    while (cache_bytes > options.cache_bytes && !lru.empty()) {
      cache_bytes -= entryBytes(lru.back());
      index.erase(lru.back().key);
      lru.pop_back();
    }
    cache_stats.entries = lru.size();
    cache_stats.bytes = cache_bytes;
    metrics.setCache(lru.size(), cache_bytes);
  }

  // Drops entries whose window overlaps any changed range.
  std::uint64_t invalidate(const std::vector<std::pair<UnixSeconds, UnixSeconds>>& changed) {
    std::lock_guard<std::mutex> lock(cache_mutex);
    aliases.clear();
    std::uint64_t dropped = 0;
    for (auto it = lru.begin(); it != lru.end();) {
      const bool hit = std::any_of(changed.begin(), changed.end(), [&](const auto& c) {
        return c.first < it->end && c.second > it->start;
      });
      if (hit) {
        cache_bytes -= entryBytes(*it);
        index.erase(it->key);
        it = lru.erase(it);
        ++dropped;
      } else {
        ++it;
      }
    }
    cache_stats.invalidations += dropped;
    cache_stats.entries = lru.size();
    cache_stats.bytes = cache_bytes;
    metrics.setCache(lru.size(), cache_bytes);
    if (dropped) metrics.invalidated(dropped);
    return dropped;
  }

  std::string scrub(std::string message) const {
    if (!store_path_hint.empty()) {
      for (std::size_t at; (at = message.find(store_path_hint)) != std::string::npos;) {
        message.replace(at, store_path_hint.size(), "<store>");
      }
    }
    return message;
  }

  Response errorResponse(const Error& e) const {
    const int status = statusFor(e);
    if (status == 500) {
      std::fprintf(stderr, "trimtab serve: %s\n", e.message.c_str());
      return Response::error(500, "the store could not be read; the server log has the details");
    }
    return Response::error(status, scrub(e.message));
  }

  Response tooLarge(std::size_t bytes) const {
    return Response::error(413, fmt::format("the answer is {} bytes, over this server's limit of {} "
                                            "bytes; narrow the window, aggregate, filter or use "
                                            "offset/limit",
                                            bytes, options.max_response_bytes));
  }

  Response finish(Response r, const std::string& cache_key, UnixSeconds start, UnixSeconds end,
                  bool accepts_gzip) {
    if (r.body && r.body->size() > options.max_response_bytes) return tooLarge(r.body->size());
    // Compressed once here; cache hits then serve it for free.
    std::shared_ptr<const std::string> gzipped;
    if (r.body && r.body->size() >= kGzipMinBytes && (accepts_gzip || options.cache_bytes > 0)) {
      std::string z = gzip(*r.body);
      if (!z.empty() && z.size() < r.body->size()) gzipped = std::make_shared<const std::string>(std::move(z));
    }
    cachePut(cache_key, r, gzipped, start, end);
    if (accepts_gzip && gzipped) {
      r.body = std::move(gzipped);
      r.headers.emplace_back("Content-Encoding", "gzip");
    }
    r.headers.emplace_back("Vary", "Accept-Encoding");
    r.headers.emplace_back("X-Trimtab-Cache", "miss");
    return r;
  }

  Response allocation(const Params& params, Route which, bool gz) {
    auto parsed = parseAllocationParams(params, nowSeconds(), options.limits);
    if (!parsed) return Response::error(400, parsed.error().message);
    if (which == Route::kSharing) parsed->request.query.include_shared_cost_breakdown = true;
    auto sets = query::runAllocation(*store, parsed->request);
    if (!sets) return errorResponse(sets.error());
    for (auto& set : *sets) {
      if (parsed->offset == 0 && !parsed->limit) continue;
      auto keep = paged(set, parsed->offset, parsed->limit);
      std::vector<cost::Allocation> kept;
      kept.reserve(keep.size());
      for (const cost::Allocation* a : keep) kept.push_back(*a);
      std::sort(kept.begin(), kept.end(),
                [](const cost::Allocation& a, const cost::Allocation& b) { return a.name < b.name; });
      set.allocations = std::move(kept);
    }
    Response r;
    if (which == Route::kSummary) {
      r = Response::text(200, std::string(kJson),
                         summaryJson(*sets, parsed->request.step_seconds > 0
                                                ? parsed->request.step_seconds
                                                : static_cast<double>(parsed->request.window.end -
                                                                      parsed->request.window.start)));
    } else if (parsed->format == OutputFormat::kCsv) {
      r = Response::text(200, std::string(kCsv), cost::toCsv(*sets));
    } else {
      r = Response::text(200, std::string(kJson), cost::toOpenCostJson(*sets));
    }
    return finish(std::move(r), cacheKey(which, parsed->normalized), parsed->request.window.start,
                  parsed->request.window.end, gz);
  }

  Response assets(const Params& params, bool gz) {
    auto parsed = parseAssetParams(params, nowSeconds(), options.limits);
    if (!parsed) return Response::error(400, parsed.error().message);
    auto set = query::loadAssets(*store, parsed->window, parsed->cluster,
                                 parsed->filter ? &*parsed->filter : nullptr);
    if (!set) return errorResponse(set.error());
    if (parsed->offset != 0 || parsed->limit) {
      std::stable_sort(set->assets.begin(), set->assets.end(), [](const query::Asset& a, const query::Asset& b) {
        if (a.total_cost != b.total_cost) return a.total_cost > b.total_cost;
        return a.key < b.key;
      });
      if (parsed->offset >= set->assets.size()) {
        set->assets.clear();
      } else {
        set->assets.erase(set->assets.begin(), set->assets.begin() + static_cast<std::ptrdiff_t>(parsed->offset));
      }
      if (parsed->limit && set->assets.size() > *parsed->limit) set->assets.resize(*parsed->limit);
      std::sort(set->assets.begin(), set->assets.end(),
                [](const query::Asset& a, const query::Asset& b) { return a.key < b.key; });
    }
    Response r;
    if (parsed->format == OutputFormat::kCsv) {
      std::vector<const query::Asset*> list;
      for (const auto& a : set->assets) list.push_back(&a);
      r = Response::text(200, std::string(kCsv), assetsCsv(list));
    } else {
      r = Response::text(200, std::string(kJson), query::assetsToOpenCostJson(*set));
    }
    return finish(std::move(r), cacheKey(Route::kAssets, parsed->normalized), parsed->window.start,
                  parsed->window.end, gz);
  }

  Response prices(const Params& params, bool gz) {
    auto parsed = parseAssetParams(params, nowSeconds(), options.limits);
    if (!parsed) return Response::error(400, parsed.error().message);
    auto set = query::loadAssets(*store, parsed->window, parsed->cluster,
                                 parsed->filter ? &*parsed->filter : nullptr);
    if (!set) return errorResponse(set.error());
    constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
    std::string o = "{\"code\":200,\"status\":\"success\",\"data\":{\"window\":";
    windowJson(o, static_cast<double>(parsed->window.start), static_cast<double>(parsed->window.end));
    o += ",\"nodes\":[";
    bool first = true;
    for (const query::Asset& a : set->assets) {
      if (a.type != "Node") continue;
      if (!first) o += ',';
      first = false;
      const double hours = a.minutes / 60;
      o += '{';
      str(o, "cluster", a.cluster);
      o += ',';
      str(o, "node", a.name);
      o += ',';
      str(o, "instanceType", a.instance_type);
      o += ',';
      str(o, "region", a.region);
      o += ',';
      str(o, "providerID", a.provider_id);
      o += fmt::format(",\"preemptible\":{},", a.preemptible ? "true" : "false");
      num(o, "hours", hours);
      o += ',';
      num(o, "hourlyCost", hours > 0 ? a.total_cost / hours : 0);
      o += ',';
      num(o, "cpuCoreHourlyCost", a.cpu_core_hours > 0 ? a.cpu_cost / a.cpu_core_hours : 0);
      o += ',';
      num(o, "ramGiBHourlyCost", a.ram_byte_hours > 0 ? a.ram_cost / (a.ram_byte_hours / kGiB) : 0);
      o += ',';
      num(o, "gpuHourlyCost", a.gpu_hours > 0 ? a.gpu_cost / a.gpu_hours : 0);
      o += ',';
      num(o, "totalCost", a.total_cost);
      o += ',';
      str(o, "priceSource", a.price_source);
      o += '}';
    }
    o += "]}}";
    return finish(Response::text(200, std::string(kJson), std::move(o)),
                  cacheKey(Route::kPrices, parsed->normalized), parsed->window.start, parsed->window.end, gz);
  }

  Response recommendations(const Params& params, bool gz) {
    auto parsed = parseRecommendationParams(params, nowSeconds(), options.limits);
    if (!parsed) return Response::error(400, parsed.error().message);
    recommend::RecommendOptions ro;
    ro.window_start = parsed->window.start;
    ro.window_end = parsed->window.end;
    auto strategy = recommend::parseStrategy(parsed->strategy);
    if (!strategy) return Response::error(400, strategy.error().message);
    ro.strategy = *strategy;
    ro.filter = parsed->filter;
    ro.cluster = parsed->cluster;
    ro.min_history_hours = parsed->min_history_hours;
    auto body = recommend::recommendationsJson(*store, ro);
    if (!body) return errorResponse(body.error());
    return finish(Response::text(200, std::string(kJson),
                                 "{\"code\":200,\"status\":\"success\",\"data\":" + *body + "}"),
                  cacheKey(Route::kRecommendations, parsed->normalized), parsed->window.start, parsed->window.end, gz);
  }

  Response status() {
    auto clusters = store->clusters();
    if (!clusters) return errorResponse(clusters.error());
    std::string o = "{\"code\":200,\"status\":\"success\",\"data\":{\"version\":\"0.1.0\",\"clusters\":[";
    for (std::size_t i = 0; i < clusters->size(); ++i) {
      const std::string& c = (*clusters)[i];
      if (i) o += ',';
      o += '{';
      str(o, "name", c);
      for (auto kind : {store::BlockKind::kHour, store::BlockKind::kDay}) {
        auto blocks = store->listBlocks(c, kind, std::numeric_limits<UnixSeconds>::min() / 2,
                                        std::numeric_limits<UnixSeconds>::max() / 2);
        if (!blocks) return errorResponse(blocks.error());
        std::uint64_t bytes = 0;
        for (const auto& b : *blocks) bytes += b.bytes;
        const char* name = kind == store::BlockKind::kHour ? "hourBlocks" : "dayBlocks";
        o += fmt::format(",\"{}\":{{\"count\":{},\"bytes\":{}", name, blocks->size(), bytes);
        if (!blocks->empty()) {
          o += ",\"start\":";
          cost::appendJsonString(o, cost::formatRfc3339(static_cast<double>(blocks->front().start)));
          o += ",\"end\":";
          cost::appendJsonString(o, cost::formatRfc3339(static_cast<double>(blocks->back().end)));
        }
        o += '}';
      }
      o += '}';
    }
    o += "],\"hourlyHorizon\":";
    if (store->hourlyHorizon() > 0) {
      cost::appendJsonString(o, cost::formatRfc3339(static_cast<double>(store->hourlyHorizon())));
    } else {
      o += "null";
    }
    CacheStats cs;
    {
      std::lock_guard<std::mutex> lock(cache_mutex);
      cs = cache_stats;
    }
    o += fmt::format(",\"cache\":{{\"entries\":{},\"bytes\":{},\"hits\":{},\"misses\":{},\"invalidations\":{}}}",
                     cs.entries, cs.bytes, cs.hits, cs.misses, cs.invalidations);
    if (server_stats != nullptr) {
      o += fmt::format(",\"server\":{{\"connectionsOpen\":{},\"requests\":{},\"rejectedBusy\":{},\"timedOut\":{}}}",
                       server_stats->connections_open.load(), server_stats->requests_total.load(),
                       server_stats->rejected_busy.load(), server_stats->timed_out.load());
    }
    o += "}}";
    return Response::text(200, std::string(kJson), std::move(o));
  }

  Response metricsResponse() {
    auto text = openCostMetrics(*store);
    if (!text) return errorResponse(text.error());
    metrics.setStore(static_cast<double>(extent.second), static_cast<double>(nowSeconds()), hour_blocks,
                     day_blocks);
    if (server_stats != nullptr) {
      metrics.setConnections(server_stats->connections_open.load(),
                             static_cast<std::uint64_t>(std::max<std::int64_t>(0, server_stats->queries_in_flight.load())));
    }
    return Response::text(200, std::string(kMetricsType), *text + metrics.render());
  }

  static std::string cacheKey(Route r, const std::string& normalized) {
    return fmt::format("{}|{}", static_cast<int>(r), normalized);
  }
};

Result<std::unique_ptr<Api>> Api::create(std::unique_ptr<store::Store> store, const ApiOptions& options) {
  std::unique_ptr<Api> api(new Api());
  api->impl_ = std::make_unique<Impl>();
  api->impl_->options = options;
  api->impl_->store_path_hint = options.store_path;
  api->impl_->store = std::move(store);
  if (auto s = api->impl_->loadFingerprints(); !s) return fail(s.error());
  if (!options.bearer_token_file.empty()) {
    (void)api->impl_->reloadToken();
    if (!api->impl_->token_ok) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("bearer token file {}: missing or empty", options.bearer_token_file));
    }
  }
  return api;
}

Api::~Api() = default;

void Api::attachServerStats(const ServerStats* stats) { impl_->server_stats = stats; }

Api::CacheStats Api::cacheStats() const {
  std::lock_guard<std::mutex> lock(impl_->cache_mutex);
  return impl_->cache_stats;
}

std::optional<Response> Api::fast(const Request& request) {
  const Route r = route(request.path());
  if (r == Route::kHealth) return Response::text(200, std::string(kJson), "{\"status\":\"ok\"}");
  if (r == Route::kReady) return Response::text(200, std::string(kJson), "{\"status\":\"ready\"}");
  if (request.method != "GET" && request.method != "HEAD") {
    Response resp = Response::error(405, fmt::format("method {} not allowed: this API is read-only (GET)",
                                                     request.method.substr(0, 16)));
    resp.headers.emplace_back("Allow", "GET, HEAD");
    return resp;
  }
  if (!impl_->authorized(request)) {
    Response resp = Response::error(401, "missing or invalid bearer token (Authorization: Bearer <token>)");
    resp.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"trimtab\"");
    return resp;
  }
  if (r == Route::kNotFound) {
    return Response::error(404, "no such endpoint; see docs/api.md (GET /allocation, /assets, /api/v1/...)");
  }
  if (r == Route::kAllocation || r == Route::kSummary || r == Route::kSharing || r == Route::kAssets ||
      r == Route::kPrices || r == Route::kRecommendations) {
    const UnixSeconds now = nowSeconds();
    if (auto hit = impl_->cacheGetByTarget(request.target, now, request.accepts_gzip)) return hit;
    auto params = Params::parse(request.query());
    if (!params) return Response::error(400, params.error().message);
    std::string normalized;
    if (r == Route::kAssets || r == Route::kPrices) {
      auto parsed = parseAssetParams(*params, now, impl_->options.limits);
      if (!parsed) return Response::error(400, parsed.error().message);
      normalized = std::move(parsed->normalized);
    } else if (r == Route::kRecommendations) {
      auto parsed = parseRecommendationParams(*params, now, impl_->options.limits);
      if (!parsed) return Response::error(400, parsed.error().message);
      normalized = std::move(parsed->normalized);
    } else {
      auto parsed = parseAllocationParams(*params, now, impl_->options.limits);
      if (!parsed) return Response::error(400, parsed.error().message);
      normalized = std::move(parsed->normalized);
    }
    return impl_->cacheGet(Impl::cacheKey(r, normalized), request.target, now, request.accepts_gzip);
  }
  return std::nullopt;
}

Response Api::slow(const Request& request) {
  const Route r = route(request.path());
  auto params = Params::parse(request.query());
  if (!params) return Response::error(400, params.error().message);
  for (int attempt = 0;; ++attempt) {
    Response resp;
    {
      std::shared_lock<std::shared_mutex> lock(impl_->store_mutex);
      switch (r) {
        case Route::kAllocation:
        case Route::kSummary:
        case Route::kSharing:
          resp = impl_->allocation(*params, r, request.accepts_gzip);
          break;
        case Route::kAssets:
          resp = impl_->assets(*params, request.accepts_gzip);
          break;
        case Route::kPrices:
          resp = impl_->prices(*params, request.accepts_gzip);
          break;
        case Route::kStatus:
          resp = impl_->status();
          break;
        case Route::kRecommendations:
          resp = impl_->recommendations(*params, request.accepts_gzip);
          break;
        case Route::kMetrics:
          resp = impl_->metricsResponse();
          break;
        default:
          resp = Response::error(404, "no such endpoint");
      }
    }
    // A block newer than our dimensions (another process committed): refresh once and retry.
    if (resp.status == 404 && attempt == 0 && r != Route::kNotFound && resp.body &&
        resp.body->find("refresh and retry") != std::string::npos) {
      (void)pollStore();
      continue;
    }
    return resp;
  }
}

void Api::completed(const Request& request, int status, double seconds, std::size_t bytes) {
  const Route r = route(request.path());
  impl_->metrics.request(routeName(r), status, seconds);
  if (!impl_->options.log_requests) return;
  // The query string is logged, never the Authorization header.
  const std::string target = request.target.substr(0, 512);
  if (impl_->options.log_json) {
    std::string line = "{\"msg\":\"request\",\"method\":";
    cost::appendJsonString(line, request.method);
    line += ",\"target\":";
    cost::appendJsonString(line, target);
    line += fmt::format(",\"status\":{},\"seconds\":{:.6f},\"bytes\":{},\"remote\":", status, seconds, bytes);
    cost::appendJsonString(line, request.remote);
    line += "}\n";
    std::fputs(line.c_str(), stderr);
  } else {
    std::fprintf(stderr, "%s %s %s %d %.6fs %zuB\n", request.remote.c_str(), request.method.c_str(),
                 target.c_str(), status, seconds, bytes);
  }
}

Status Api::pollStore() {
  (void)impl_->reloadToken();
  std::unique_lock<std::shared_mutex> lock(impl_->store_mutex);
  auto changed = impl_->store->refresh();
  if (!changed) return fail(changed.error());
  if (!*changed) return {};
  auto before = impl_->fingerprints;
  if (auto s = impl_->loadFingerprints(); !s) return s;
  std::vector<std::pair<UnixSeconds, UnixSeconds>> ranges;
  auto rangeOf = [](const std::tuple<std::string, int, UnixSeconds>& k) {
    const UnixSeconds start = std::get<2>(k);
    return std::make_pair(start, start + (std::get<1>(k) == static_cast<int>(store::BlockKind::kDay)
                                              ? store::kDaySeconds
                                              : store::kHourSeconds));
  };
  for (const auto& [k, sum] : impl_->fingerprints) {
    auto it = before.find(k);
    if (it == before.end() || it->second != sum) ranges.push_back(rangeOf(k));
  }
  for (const auto& [k, sum] : before) {
    if (!impl_->fingerprints.count(k)) ranges.push_back(rangeOf(k));
  }
  lock.unlock();
  impl_->metrics.storeRefreshed(ranges.size());
  if (!ranges.empty()) impl_->invalidate(ranges);
  return {};
}

}  // namespace trimtab::server
