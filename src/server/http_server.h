// HTTP/1.1 server for Trimtab's APIs, on Boost.Beast/Asio (the only translation unit that
// includes them).
//
// Threading: `io_threads` run the sockets (accept, read, write, TLS). Each request is first
// offered to Handler::fast() on the I/O thread — cache hits, health checks and rejected
// requests answer there in microseconds. Everything else runs Handler::slow() on one of
// `worker_threads`; at most `max_concurrent_queries` slow requests run or wait at once, the
// next ones get 429 with a JSON error body and Retry-After. A slow request that has not
// finished after `query_timeout_seconds` is answered 503 (its work is discarded when done).
//
// Connections: keep-alive; a client that sends nothing for `idle_timeout_seconds` is closed;
// a client that does not read its response within `write_timeout_seconds` is closed, and
// never blocks other clients. Headers over 16 KiB → 431, bodies over `max_body_bytes` → 413.
//
// TLS (optional): PEM certificate chain and key; with `client_ca_file`, clients must present a
// certificate signed by that CA (mutual TLS).
//
// Shutdown: stop() (or SIGTERM/SIGINT when run() was told to handle signals) closes the
// listener, lets in-flight requests finish (up to `shutdown_grace_seconds`), then returns
// from run().
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/error.h"

namespace trimtab::server {

struct Request {
  std::string method;   // "GET"
  std::string target;   // "/allocation?window=7d"
  std::string_view path() const;   // "/allocation"
  std::string_view query() const;  // "window=7d" (no '?')
  std::string authorization;       // the Authorization header, if any
  bool accepts_gzip = false;       // Accept-Encoding lists gzip
  std::string remote;              // "127.0.0.1:53412"
  std::string body;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  // Shared so cached bodies are written without a copy.
  std::shared_ptr<const std::string> body;
  std::vector<std::pair<std::string, std::string>> headers;

  static Response text(int status, std::string content_type, std::string body);
  // OpenCost's error envelope {"code":N,"status":"error","message":"..."}.
  static Response error(int status, std::string_view message);
};

class Handler {
 public:
  virtual ~Handler() = default;
  // On an I/O thread; must not block. nullopt = run slow() on a worker thread.
  virtual std::optional<Response> fast(const Request& request) = 0;
  virtual Response slow(const Request& request) = 0;
  // Called once per finished request (any path) with its status and wall time.
  virtual void completed(const Request& request, int status, double seconds, std::size_t bytes) {
    (void)request, (void)status, (void)seconds, (void)bytes;
  }
};

struct ServerOptions {
  std::string listen = "127.0.0.1:9003";  // host:port; port 0 picks a free port
  int io_threads = 1;
  int worker_threads = 2;
  int max_concurrent_queries = 8;
  double query_timeout_seconds = 60;
  double idle_timeout_seconds = 120;
  double read_timeout_seconds = 30;   // for a request once its first byte arrived
  double write_timeout_seconds = 60;
  double shutdown_grace_seconds = 10;
  std::size_t max_body_bytes = 64 * 1024;
  // TLS: all empty = plain HTTP.
  std::string tls_cert_file, tls_key_file, client_ca_file;
};

struct ServerStats {
  std::atomic<std::uint64_t> connections_open{0};
  std::atomic<std::uint64_t> connections_total{0};
  std::atomic<std::uint64_t> requests_total{0};
  std::atomic<std::uint64_t> rejected_busy{0};
  std::atomic<std::uint64_t> timed_out{0};
  std::atomic<std::int64_t> queries_in_flight{0};
};

class HttpServer {
 public:
  // Binds and listens; errors name the address (in use, bad address, unreadable certificate).
  static Result<std::unique_ptr<HttpServer>> create(const ServerOptions& options, Handler& handler);
  virtual ~HttpServer() = default;

  virtual int port() const = 0;
  // Serves until stop() or, with handle_signals, SIGTERM/SIGINT; then drains and returns.
  virtual void run(bool handle_signals) = 0;
  // Thread-safe; idempotent.
  virtual void stop() = 0;
  virtual const ServerStats& stats() const = 0;
};

}  // namespace trimtab::server
