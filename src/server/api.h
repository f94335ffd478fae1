// Trimtab's HTTP API over a block store: OpenCost-compatible endpoints, Trimtab's own /api/v1,
// Prometheus /metrics and health checks. Read-only by design: no endpoint changes the store.
//
//   GET /allocation  /allocation/compute   OpenCost allocation (JSON or format=csv)
//   GET /allocation/summary                 OpenCost summary allocation
//   GET /assets                             OpenCost assets
//   (all of the above also under /model/, as Kubecost clients call them)
//   GET /api/v1/status                      store and server status
//   GET /api/v1/prices?window=              node prices with their sources
//   GET /api/v1/sharing?window=&...         allocation with shared-cost breakdowns
//   GET /api/v1/recommendations?window=14d&strategy=auto|vpa|krr|autopilot&filter=
//                                           request/limit recommendations (src/recommend)
//   GET /metrics                            OpenCost-named series + trimtab_* self-metrics
//   GET /healthz  /readyz
//
// Caching: answers are cached by their normalised parameters (windows resolved to Unix
// seconds). An entry stays valid until a block overlapping its window changes in the store
// (late data, a new hour); pollStore() notices commits by other processes and drops exactly
// the entries whose windows overlap changed blocks.
//
// Security: optional bearer token (a file, re-read when it changes; compared in constant
// time) on every endpoint but /healthz and /readyz. Errors are OpenCost's JSON envelope with
// a message that names the parameter; never a file path or stack trace.
#pragma once

#include <memory>
#include <string>

#include "model/error.h"
#include "server/http_server.h"
#include "server/params.h"
#include "store/store.h"

namespace trimtab::server {

struct ApiOptions {
  ApiLimits limits;
  std::size_t max_response_bytes = 256u << 20;  // larger answers → 413 (use step, filter, limit)
  std::size_t cache_bytes = 256u << 20;         // 0 disables the cache
  std::string bearer_token_file;                // empty = no authentication
  bool log_requests = true;                     // one line per request on stderr
  bool log_json = false;
  std::string store_path;  // replaced by "<store>" in any error message a client sees
};

class Api : public Handler {
 public:
  // Takes ownership of the store (opened read-only by `trimtab serve`).
  static Result<std::unique_ptr<Api>> create(std::unique_ptr<store::Store> store,
                                             const ApiOptions& options);
  ~Api() override;

  std::optional<Response> fast(const Request& request) override;
  Response slow(const Request& request) override;
  void completed(const Request& request, int status, double seconds, std::size_t bytes) override;

  // Picks up commits by other processes; invalidates cache entries over changed blocks and
  // re-reads the token file when it changed. Safe to call from any thread, e.g. a timer.
  Status pollStore();
  // Lets /api/v1/status and the self-metrics report the HTTP server's counters.
  void attachServerStats(const ServerStats* stats);

  struct CacheStats {
    std::uint64_t hits = 0, misses = 0, entries = 0, bytes = 0, invalidations = 0;
  };
  CacheStats cacheStats() const;

 private:
  Api() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace trimtab::server
