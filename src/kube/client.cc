#include "kube/client.h"

#include <fmt/format.h>

namespace trimtab::kube {
namespace {

const std::vector<std::pair<std::string, std::string>> kJsonHeaders = {
    {"Accept", "application/json"}};

}  // namespace

KubeClient::KubeClient(RestConfig config, KubeClientOptions options, http::Env env)
    : config_(std::move(config)), options_(std::move(options)), env_(std::move(env)) {}

KubeClient::~KubeClient() = default;

Result<std::unique_ptr<KubeClient>> KubeClient::create(RestConfig config, KubeClientOptions options,
                                                       http::Env env) {
  if (config.server.rfind("https://", 0) != 0 && config.server.rfind("http://", 0) != 0) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("{}: server \"{}\": expected an http:// or https:// URL", config.origin,
                            config.server));
  }
  std::unique_ptr<KubeClient> client(new KubeClient(std::move(config), std::move(options), env));
  if (client->config_.exec) {
    const Clock& clock = env.clock != nullptr ? *env.clock : SystemClock::instance();
    client->exec_ = std::make_unique<ExecCredentialCache>(*client->config_.exec,
                                                          client->config_.cluster, clock);
  }
  auto http = client->newHttpClient(false);
  if (!http) return fail(http.error().withContext(client->config_.origin));
  client->http_ = std::move(*http);
  return client;
}

Result<std::unique_ptr<http::Client>> KubeClient::newHttpClient(bool for_watch) {
  http::ClientOptions o;
  o.tls = config_.tls;
  o.auth = config_.auth;
  o.proxy = config_.proxy_url;
  o.retry = options_.retry;
  o.connect_timeout = options_.connect_timeout;
  o.read_timeout = for_watch ? options_.watch_read_timeout : options_.read_timeout;
  return http::Client::create(std::move(o), env_);
}

Status KubeClient::refreshExec(http::Client& client, bool force) {
  if (!exec_) return {};
  if (force) exec_->invalidate();
  auto cred = exec_->get();
  if (!cred) return fail(cred.error().withContext(config_.origin));
  http::TlsConfig tls = config_.tls;
  http::Auth auth = config_.auth;
  if (!cred->token.empty()) {
    auth.bearer_token = cred->token;
    auth.bearer_token_file.clear();
  }
  if (!cred->client_certificate_pem.empty()) {
    tls.client_cert_pem = cred->client_certificate_pem;
    tls.client_key_pem = cred->client_key_pem;
    tls.client_cert_file.clear();
    tls.client_key_file.clear();
  }
  client.setCredentials(std::move(tls), std::move(auth));
  return {};
}

template <typename Fn>
http::HttpResult<http::Response> KubeClient::withAuth(http::Client& client, Fn&& fn) {
  auto fromError = [](const Error& e) {
    http::HttpError err;
    err.transport = e.message;
    return tl::unexpected(err);
  };
  if (auto s = refreshExec(client, false); !s) return fromError(s.error());
  auto r = fn();
  if (!r && r.error().status == 401 && exec_) {
    if (auto s = refreshExec(client, true); !s) return fromError(s.error());
    r = fn();
  }
  return r;
}

int KubeClient::execPluginRuns() const { return exec_ ? exec_->pluginRuns() : 0; }

Result<std::string> KubeClient::get(std::string_view path_and_query) {
  http::Request req;
  req.url = config_.server + std::string(path_and_query);
  req.headers = kJsonHeaders;
  auto r = withAuth(*http_, [&] { return http_->send(req); });
  if (!r) return fail(r.error().toError());
  return std::move(r->body);
}

Result<ListMeta> KubeClient::list(Kind kind, const ListStreamDecoder::BatchSink& sink,
                                  const std::function<void()>& on_restart) {
  return listWithRaw(kind, sink, nullptr, on_restart);
}

Result<ListMeta> KubeClient::listWithRaw(Kind kind, const ListStreamDecoder::BatchSink& sink,
                                         const RawSink& raw,
                                         const std::function<void()>& on_restart) {
  const KindInfo& info = kindInfo(kind);
  std::string token;
  int restarts = 0;
  std::size_t page = 0;
  std::size_t total = 0;
  std::size_t bytes = 0;
  while (true) {
    ++page;
    std::string url = fmt::format("{}{}?limit={}", config_.server, info.path, options_.page_size);
    if (!token.empty()) url += "&continue=" + http::urlEncode(token);
    http::Request req;
    req.url = url;
    req.headers = kJsonHeaders;
    ListStreamDecoder decoder(kind, fmt::format("GET {}", url), sink, options_.batch_bytes);
    Status decode_status;
    http::HttpResult<http::Response> r;
    // A retried request restarts the page, so the decoder restarts too; the sink only ever
    // gets bytes of the final (successful) attempt because a streaming request is retried only
    // while nothing has reached the sink.
    r = withAuth(*http_, [&] {
      return http_->stream(req, [&](std::string_view chunk) {
        if (raw) {
          decode_status = raw(page, chunk);
          if (!decode_status) return false;
        }
        decode_status = decoder.feed(chunk);
        return static_cast<bool>(decode_status);
      });
    });
    if (!decode_status) return fail(decode_status.error());
    if (!r) {
      if (r.error().status == 410 && !token.empty() && restarts < options_.max_list_restarts) {
        ++restarts;
        token.clear();
        page = 0;
        total = 0;
        bytes = 0;
        if (on_restart) on_restart();
        continue;
      }
      return fail(r.error().toError());
    }
    auto meta = decoder.finish();
    if (!meta) return fail(meta.error());
    total += meta->items;
    bytes += meta->bytes;
    if (meta->continue_token.empty()) {
      meta->items = total;
      meta->bytes = bytes;
      return meta;
    }
    token = meta->continue_token;
  }
}

Result<WatchEnd> KubeClient::watch(Kind kind, std::string& resource_version,
                                   const WatchStreamDecoder::EventSink& sink,
                                   const std::atomic<bool>* cancel) {
  const KindInfo& info = kindInfo(kind);
  auto http = newHttpClient(true);
  if (!http) return fail(http.error());
  std::string url = fmt::format(
      "{}{}?watch=true&allowWatchBookmarks=true&resourceVersion={}&timeoutSeconds={}",
      config_.server, info.path, http::urlEncode(resource_version), options_.watch_timeout.count());
  http::Request req;
  req.url = url;
  req.headers = kJsonHeaders;
  req.cancel = cancel;
  WatchEnd end;
  std::optional<Error> event_error;
  WatchStreamDecoder decoder(kind, fmt::format("watch {}", url), [&](WatchEvent&& ev) -> Status {
    ++end.events;
    if (ev.type == EventType::kError) {
      if (ev.error_code == 410) {
        end.gone = true;
        return fail(ErrorCode::kNotFound, "410 Gone");
      }
      return fail(ErrorCode::kIo, fmt::format("watch {}: ERROR event: code {} {}: {}", url,
                                              ev.error_code, ev.error_reason, ev.error_message));
    }
    if (!ev.resource_version.empty()) resource_version = ev.resource_version;
    return sink(std::move(ev));
  });
  Status decode_status;
  auto r = withAuth(**http, [&] {
    return (*http)->stream(req, [&](std::string_view chunk) {
      decode_status = decoder.feed(chunk);
      return static_cast<bool>(decode_status);
    });
  });
  if (end.gone) return end;
  if (!decode_status) return fail(decode_status.error());
  if (!r) {
    if (r.error().status == 410) {
      end.gone = true;
      return end;
    }
    Error e = r.error().toError();
    if (end.events > 0) e.message += fmt::format(" (after {} events)", end.events);
    return fail(e);
  }
  if (auto s = decoder.finish(); !s) return fail(s.error());
  return end;
}

}  // namespace trimtab::kube
