// HTTP client on libcurl for Trimtab's live sources (Kubernetes API, PromQL backends).
//
// What it does:
//   - TLS: CA bundle from a file or inline PEM; client certificate and key from files or inline
//     PEM; optional insecure mode (no server verification, as kubectl's
//     insecure-skip-tls-verify).
//   - Auth: bearer token (inline, or a file re-read whenever its mtime/size/inode change), or
//     HTTP basic auth.
//   - HTTP/2 when the server offers it over TLS (ALPN), HTTP/1.1 otherwise.
//   - Timeouts: connect timeout; read timeout = no body byte for that long (so a hung connection
//     fails, while a slow steady stream such as a watch keeps going).
//   - Retries with jittered exponential backoff on connection errors, timeouts, 429 and 5xx,
//     honouring Retry-After (seconds or HTTP-date); never on other 4xx; a streaming request is
//     retried only while no body byte has been handed to the sink.
//   - Streaming: stream() hands body chunks to a callback so a large list is never one string.
//
// Errors are HttpError values naming the URL, the HTTP status (0 when no response came), the
// transport failure, and a short excerpt of the response body.
//
// Process state: the first Client::create calls curl_global_init and, when SIGPIPE still has its
// default action, ignores SIGPIPE (a peer closing a connection must not kill the process).
//
// Thread-safety: a Client serialises its requests with an internal mutex (one libcurl handle,
// which keeps the connection alive between requests). Use one Client per concurrent stream
// (e.g. one per watch); creating a Client is cheap.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/clock.h"
#include "model/error.h"

namespace trimtab::http {

struct TlsConfig {
  std::string ca_file;  // PEM bundle; empty = system default bundle
  std::string ca_pem;   // inline PEM (wins over ca_file)
  std::string client_cert_file;
  std::string client_cert_pem;  // inline PEM (wins over client_cert_file)
  std::string client_key_file;
  std::string client_key_pem;  // inline PEM (wins over client_key_file)
  bool insecure_skip_verify = false;
  // Name to verify the server certificate against and send as SNI instead of the URL's host
  // (kubeconfig tls-server-name). The connection still goes to the URL's host and port, and the
  // Host header keeps the URL's host.
  std::string server_name;
};

struct Auth {
  std::string bearer_token;       // sent as "Authorization: Bearer <token>"
  std::string bearer_token_file;  // used when bearer_token is empty; re-read when it changes
  std::string basic_username;     // basic auth when non-empty
  std::string basic_password;
};

struct RetryPolicy {
  int max_attempts = 4;  // total tries, including the first; 1 disables retries
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{10'000};
  double jitter_fraction = 0.2;  // each wait is scaled by a uniform factor in [1-j, 1+j]
  // Retry-After values above this are capped (a server asking for an hour is not waited on).
  std::chrono::milliseconds max_retry_after{60'000};
};

struct ClientOptions {
  TlsConfig tls;
  Auth auth;
  RetryPolicy retry;
  std::chrono::milliseconds connect_timeout{10'000};
  // No body byte for this long fails the request (libcurl low-speed limit; 1 s granularity).
  std::chrono::milliseconds read_timeout{30'000};
  // Whole request (0 = unlimited, as for watches).
  std::chrono::milliseconds total_timeout{0};
  bool http2 = true;
  std::string user_agent = "trimtab/0.1";
  // http://, https://, socks5:// proxy (kubeconfig proxy-url); empty = libcurl's default (the
  // http_proxy / https_proxy / no_proxy environment variables).
  std::string proxy;
};

// Hooks for tests: time, sleeping and randomness. Defaults use the system clock, a real sleep and
// a std::mt19937_64 seeded with `seed`.
struct Env {
  std::function<void(std::chrono::milliseconds)> sleep;
  std::function<double()> uniform01;  // in [0, 1)
  const Clock* clock = nullptr;       // for Retry-After HTTP-dates
  std::uint64_t seed = 0x7472696d746162;
};

struct Request {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. {"Accept", "application/json"}
  std::string body;
  bool retry = true;  // false for requests that must not be repeated
  // Set to true from another thread to abort the request (libcurl polls it about once a second
  // and on every received chunk).
  const std::atomic<bool>* cancel = nullptr;
};

struct Response {
  long status = 0;
  int http_version = 1;  // 1 (HTTP/1.x), 2 or 3: what the connection spoke
  std::vector<std::pair<std::string, std::string>> headers;  // in received order, names as sent
  std::string body;                                          // empty for stream()
  // First header with this name (case-insensitive), or nullptr.
  const std::string* header(std::string_view name) const;
};

struct HttpError {
  std::string url;
  std::string method;
  long status = 0;           // 0: no HTTP response (connect failure, timeout, TLS, abort)
  std::string transport;     // libcurl's description when status == 0
  std::string body_excerpt;  // first bytes of the response body (at most 512), when any
  int attempts = 0;
  bool timed_out = false;
  bool cancelled = false;
  bool aborted_by_sink = false;  // the sink returned false
  std::optional<std::chrono::milliseconds> retry_after;

  // e.g. `GET https://10.0.0.1/api/v1/pods: HTTP 503 Service Unavailable after 4 attempts: {...`
  std::string message() const;
  // As trimtab::Error: kNotFound for 404, kInvalidArgument for other 4xx, kIo otherwise.
  Error toError() const;
};

template <typename T>
using HttpResult = tl::expected<T, HttpError>;

// Receives body chunks in order; return false to stop the transfer (the call then fails with
// aborted_by_sink = true).
using BodySink = std::function<bool(std::string_view chunk)>;

class Client {
 public:
  // Validates options (readable files, PEM present). Errors name the option and file.
  static Result<std::unique_ptr<Client>> create(ClientOptions options, Env env = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends the request and buffers the body. A non-2xx final status is an HttpError.
  HttpResult<Response> send(const Request& request);

  // Sends the request and hands the 2xx body to sink as it arrives; Response::body stays empty.
  // Non-2xx bodies are not given to the sink (their excerpt is in the HttpError).
  HttpResult<Response> stream(const Request& request, const BodySink& sink);

  const ClientOptions& options() const { return options_; }

  // Replaces the client certificate/key and bearer token (exec credential plugins rotate them).
  void setCredentials(TlsConfig tls, Auth auth);

 private:
  Client(ClientOptions options, Env env);
  struct Impl;
  ClientOptions options_;
  std::unique_ptr<Impl> impl_;
};

// Percent-encodes everything but RFC 3986's unreserved characters (A-Z a-z 0-9 - _ . ~), for
// query parameter values.
std::string urlEncode(std::string_view s);

// Parses a Retry-After value (delta-seconds or IMF-fixdate) relative to now; nullopt if invalid.
std::optional<std::chrono::milliseconds> parseRetryAfter(std::string_view value, UnixSeconds now);

// The wait before retry number `retry` (1-based) under policy, with jitter drawn from u in [0,1).
std::chrono::milliseconds backoffDelay(const RetryPolicy& policy, int retry, double u);

}  // namespace trimtab::http
