// A Kubernetes API client for list and watch of the kinds in kube/kinds.h, on http::Client.
//
// list(): paginated (limit/continue) and streamed: each page is decoded item by item
// (kube/stream.h), so memory stays at one batch regardless of list size. When a continue token
// has expired (410 Gone) the list restarts from the beginning after calling on_restart (the
// caller drops what it received).
// watch(): one watch connection from a resourceVersion with allowWatchBookmarks; ends when the
// server closes it (timeoutSeconds), on 410 Gone (HTTP 410 or an ERROR event with code 410:
// WatchEnd::gone, the caller must relist), or with an error (connection dropped, truncated
// stream, undecodable event). resource_version advances with every event and bookmark, so after
// any end the caller can resume from it.
// Credentials: bearer token / token file / basic / client certificates from RestConfig; exec
// plugins through ExecCredentialCache (re-run once when the server answers 401).
//
// Thread-safe: list() calls share one connection (serialised); each watch() has its own.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "http/client.h"
#include "kube/config.h"
#include "kube/exec.h"
#include "kube/kinds.h"
#include "kube/stream.h"
#include "model/clock.h"
#include "model/error.h"

namespace trimtab::kube {

struct KubeClientOptions {
  std::size_t page_size = 500;  // limit= per list page
  // timeoutSeconds asked of the server for each watch (the API server adds jitter up to 2×).
  std::chrono::seconds watch_timeout{300};
  std::chrono::milliseconds connect_timeout{10'000};
  // List requests: no byte for this long fails (then retried per `retry`).
  std::chrono::milliseconds read_timeout{60'000};
  // Watches: no byte (event or bookmark) for this long ends the watch with an error.
  std::chrono::milliseconds watch_read_timeout{120'000};
  http::RetryPolicy retry;
  std::size_t batch_bytes = 4u << 20;  // items decoded together
  int max_list_restarts = 3;           // on 410 Gone during pagination
};

struct WatchEnd {
  bool gone = false;       // 410: relist needed
  std::size_t events = 0;  // events received, bookmarks included
};

class KubeClient {
 public:
  static Result<std::unique_ptr<KubeClient>> create(RestConfig config,
                                                    KubeClientOptions options = {},
                                                    http::Env env = {});
  ~KubeClient();

  // GET of an API path (e.g. "/version"), body buffered. For small documents only.
  Result<std::string> get(std::string_view path_and_query);

  // Lists every object of kind in all namespaces. sink receives decoded batches in order. The
  // result's items and bytes are totals over all pages.
  Result<ListMeta> list(Kind kind, const ListStreamDecoder::BatchSink& sink,
                        const std::function<void()>& on_restart = nullptr);

  // As list(), also handing each page's raw body bytes to raw(page, chunk), pages numbered from 1
  // (a restart begins again at page 1). Used to write kubectl-JSON snapshot files.
  using RawSink = std::function<Status(std::size_t page, std::string_view chunk)>;
  Result<ListMeta> listWithRaw(Kind kind, const ListStreamDecoder::BatchSink& sink,
                               const RawSink& raw,
                               const std::function<void()>& on_restart = nullptr);

  // Watches kind from resource_version (updated in place); see the header comment.
  Result<WatchEnd> watch(Kind kind, std::string& resource_version,
                         const WatchStreamDecoder::EventSink& sink,
                         const std::atomic<bool>* cancel = nullptr);

  const RestConfig& config() const { return config_; }
  // Number of times the exec plugin ran (0 without one).
  int execPluginRuns() const;

 private:
  KubeClient(RestConfig config, KubeClientOptions options, http::Env env);
  Result<std::unique_ptr<http::Client>> newHttpClient(bool for_watch);
  Status refreshExec(http::Client& client, bool force);
  template <typename Fn>
  http::HttpResult<http::Response> withAuth(http::Client& client, Fn&& fn);

  RestConfig config_;
  KubeClientOptions options_;
  http::Env env_;
  std::unique_ptr<ExecCredentialCache> exec_;
  std::unique_ptr<http::Client> http_;
};

}  // namespace trimtab::kube
