#include <utility>  // Boost 1.74's Asio misses it under C++20 with g++ 12

#include "server/http_server.h"

#include <chrono>
#include <csignal>
#include <thread>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <fmt/format.h>

#include "cost/json.h"

namespace trimtab::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

std::string_view Request::path() const {
  std::string_view t = target;
  return t.substr(0, t.find('?'));
}

std::string_view Request::query() const {
  std::string_view t = target;
  const auto q = t.find('?');
  return q == std::string_view::npos ? std::string_view() : t.substr(q + 1);
}

Response Response::text(int status, std::string content_type, std::string body) {
  Response r;
  r.status = status;
  r.content_type = std::move(content_type);
  r.body = std::make_shared<const std::string>(std::move(body));
  return r;
}

Response Response::error(int status, std::string_view message) {
  return text(status, "application/json", cost::errorJson(status, message));
}

namespace {

std::chrono::milliseconds toMillis(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
}

class ServerImpl;

// One connection. Stream is beast::tcp_stream or beast::ssl_stream<beast::tcp_stream>.
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(ServerImpl& server, Stream stream, std::string remote);
  ~Session();
  void start();

 private:
  auto& tcpLayer() { return beast::get_lowest_layer(stream_); }
  void doRead();
  void onRead(beast::error_code ec);
  void dispatch();
  void onSlowDone(Response response);
  void write(Response response, bool close_after = false);
  void onWrite(beast::error_code ec);
  void close();

  ServerImpl& server_;
  Stream stream_;
  std::string remote_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Request request_;
  bool keep_alive_ = true;
  bool close_after_write_ = false;
  bool waiting_slow_ = false;  // a slow() call is running for request_
  std::uint64_t generation_ = 0;  // bumps per request; stale slow results are dropped
  Clock::time_point started_;
  std::shared_ptr<const std::string> body_;  // kept alive while the response is written
  http::response<http::span_body<const char>> response_;
  asio::steady_timer query_timer_;
  bool counted_ = false;  // counted in ServerImpl::active_requests_
};

class ServerImpl final : public HttpServer {
 public:
  ServerImpl(const ServerOptions& options, Handler& handler)
      : options_(options),
        handler_(handler),
        ioc_(std::max(1, options.io_threads)),
        ssl_ctx_(ssl::context::tls_server),
        acceptor_(asio::make_strand(ioc_)),
        pool_(static_cast<std::size_t>(std::max(1, options.worker_threads))) {}

  ~ServerImpl() override {
    pool_.join();
  }

  Status init() {
    tls_ = !options_.tls_cert_file.empty() || !options_.tls_key_file.empty();
    if (tls_) {
      if (options_.tls_cert_file.empty() || options_.tls_key_file.empty()) {
        return fail(ErrorCode::kInvalidArgument,
                    "TLS needs both a certificate file and a key file");
      }
      beast::error_code ec;
      ssl_ctx_.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                           ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                           ssl::context::no_tlsv1_1);
      ssl_ctx_.use_certificate_chain_file(options_.tls_cert_file, ec);
      if (ec) {
        return fail(ErrorCode::kInvalidArgument,
                    fmt::format("TLS certificate {}: {}", options_.tls_cert_file, ec.message()));
      }
      ssl_ctx_.use_private_key_file(options_.tls_key_file, ssl::context::pem, ec);
      if (ec) {
        return fail(ErrorCode::kInvalidArgument,
                    fmt::format("TLS key {}: {}", options_.tls_key_file, ec.message()));
      }
      if (!options_.client_ca_file.empty()) {
        ssl_ctx_.load_verify_file(options_.client_ca_file, ec);
        if (ec) {
          return fail(ErrorCode::kInvalidArgument, fmt::format("client CA {}: {}",
                                                                options_.client_ca_file,
                                                                ec.message()));
        }
        ssl_ctx_.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
      }
    } else if (!options_.client_ca_file.empty()) {
      return fail(ErrorCode::kInvalidArgument,
                  "client certificate verification needs TLS (certificate and key files)");
    }

    const std::string& listen = options_.listen;
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("listen address \"{}\": expected HOST:PORT, e.g. 127.0.0.1:9003", listen));
    }
    std::string host = listen.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (host.empty()) host = "0.0.0.0";
    const std::string port_text = listen.substr(colon + 1);
    char* end = nullptr;
    const long port = std::strtol(port_text.c_str(), &end, 10);
    if (port_text.empty() || *end != '\0' || port < 0 || port > 65535) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("listen address \"{}\": port must be 0-65535", listen));
    }
    beast::error_code ec;
    const auto address = asio::ip::make_address(host, ec);
    if (ec) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("listen address \"{}\": \"{}\" is not an IP address", listen, host));
    }
    const tcp::endpoint endpoint(address, static_cast<unsigned short>(port));
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return fail(ErrorCode::kIo, fmt::format("listening on {}: {}", listen, ec.message()));
    }
    port_ = acceptor_.local_endpoint().port();
    return {};
  }

  int port() const override { return port_; }
  const ServerStats& stats() const override { return stats_; }

  void run(bool handle_signals) override {
    std::optional<asio::signal_set> signals;
    if (handle_signals) {
      signals.emplace(ioc_, SIGTERM, SIGINT);
      signals->async_wait([this](beast::error_code ec, int) {
        if (!ec) stop();
      });
    }
    doAccept();
    std::vector<std::thread> threads;
    for (int i = 1; i < std::max(1, options_.io_threads); ++i) {
      threads.emplace_back([this] { ioc_.run(); });
    }
    ioc_.run();
    for (auto& t : threads) t.join();
  }

  void stop() override {
    if (stopping_.exchange(true)) return;
    asio::post(acceptor_.get_executor(), [this] {
      beast::error_code ec;
      acceptor_.close(ec);
      drain_deadline_ = Clock::now() + toMillis(options_.shutdown_grace_seconds);
      drainTick();
    });
  }

  bool stopping() const { return stopping_.load(); }
  const ServerOptions& options() const { return options_; }
  Handler& handler() { return handler_; }
  asio::thread_pool& pool() { return pool_; }
  ServerStats& mutableStats() { return stats_; }
  std::atomic<std::int64_t>& activeRequests() { return active_requests_; }

 private:
  void doAccept() {
    acceptor_.async_accept(asio::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
      if (ec) {
        if (!acceptor_.is_open()) return;  // shutting down
        // EMFILE and friends: keep accepting after a short pause rather than spinning.
        auto timer = std::make_shared<asio::steady_timer>(ioc_, std::chrono::milliseconds(50));
        timer->async_wait([this, timer](beast::error_code) { doAccept(); });
        return;
      }
      beast::error_code ignored;
      std::string remote;
      const auto ep = socket.remote_endpoint(ignored);
      if (!ignored) remote = fmt::format("{}:{}", ep.address().to_string(), ep.port());
      socket.set_option(tcp::no_delay(true), ignored);
      if (tls_) {
        std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
            *this, beast::ssl_stream<beast::tcp_stream>(std::move(socket), ssl_ctx_), remote)
            ->start();
      } else {
        std::make_shared<Session<beast::tcp_stream>>(*this, beast::tcp_stream(std::move(socket)), remote)
            ->start();
      }
      doAccept();
    });
  }

  // After stop(): wait for in-flight requests (or the grace period), then end run().
  void drainTick() {
    if (active_requests_.load() <= 0 || Clock::now() >= drain_deadline_) {
      ioc_.stop();
      return;
    }
    auto timer = std::make_shared<asio::steady_timer>(ioc_, std::chrono::milliseconds(20));
    timer->async_wait([this, timer](beast::error_code) { drainTick(); });
  }

  // Declared first: destroyed last, after the sessions that the io_context still owns.
  ServerStats stats_;
  std::atomic<std::int64_t> active_requests_{0};
  ServerOptions options_;
  Handler& handler_;
  asio::io_context ioc_;
  ssl::context ssl_ctx_;
  tcp::acceptor acceptor_;
  asio::thread_pool pool_;
  bool tls_ = false;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  Clock::time_point drain_deadline_;
};

template <class Stream>
Session<Stream>::Session(ServerImpl& server, Stream stream, std::string remote)
    : server_(server),
      stream_(std::move(stream)),
      remote_(std::move(remote)),
      query_timer_(stream_.get_executor()) {
  server_.mutableStats().connections_open++;
  server_.mutableStats().connections_total++;
}

template <class Stream>
Session<Stream>::~Session() {
  server_.mutableStats().connections_open--;
  if (counted_) server_.activeRequests()--;
}

template <class Stream>
void Session<Stream>::start() {
  if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->doRead(); });
  } else {
    tcpLayer().expires_after(toMillis(server_.options().read_timeout_seconds));
    stream_.async_handshake(ssl::stream_base::server,
                            [self = this->shared_from_this()](beast::error_code ec) {
                              if (ec) return;  // handshake failed (bad or missing client cert)
                              self->doRead();
                            });
  }
}

template <class Stream>
void Session<Stream>::doRead() {
  if (server_.stopping()) {
    close();
    return;
  }
  parser_.emplace();
  parser_->header_limit(16 * 1024);
  parser_->body_limit(server_.options().max_body_bytes);
  tcpLayer().expires_after(toMillis(server_.options().idle_timeout_seconds));
  http::async_read(stream_, buffer_, *parser_,
                   [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                     self->onRead(ec);
                   });
}

template <class Stream>
void Session<Stream>::onRead(beast::error_code ec) {
  if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
      ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
      ec == asio::error::eof || ec == ssl::error::stream_truncated) {
    close();
    return;
  }
  started_ = Clock::now();
  request_ = Request{};
  request_.remote = remote_;
  if (ec) {
    keep_alive_ = false;
    if (ec == http::error::header_limit) {
      write(Response::error(431, "request headers exceed 16 KiB"), true);
    } else if (ec == http::error::body_limit) {
      write(Response::error(413, fmt::format("request body exceeds {} bytes",
                                             server_.options().max_body_bytes)),
            true);
    } else {
      write(Response::error(400, fmt::format("malformed HTTP request: {}", ec.message())), true);
    }
    return;
  }
  auto& req = parser_->get();
  request_.method = std::string(req.method_string());
  request_.target = std::string(req.target());
  if (auto it = req.find(http::field::authorization); it != req.end()) {
    request_.authorization = std::string(it->value());
  }
  if (auto it = req.find(http::field::accept_encoding); it != req.end()) {
    request_.accepts_gzip = it->value().find("gzip") != beast::string_view::npos;
  }
  request_.body = std::move(req.body());
  keep_alive_ = req.keep_alive() && !server_.stopping();
  server_.activeRequests()++;
  counted_ = true;
  server_.mutableStats().requests_total++;
  dispatch();
}

template <class Stream>
void Session<Stream>::dispatch() {
  Handler& handler = server_.handler();
  if (auto fast = handler.fast(request_)) {
    write(std::move(*fast));
    return;
  }
  ServerStats& stats = server_.mutableStats();
  if (stats.queries_in_flight.fetch_add(1) >= server_.options().max_concurrent_queries) {
    stats.queries_in_flight--;
    stats.rejected_busy++;
    Response busy = Response::error(
        429, fmt::format("too many concurrent queries (limit {}); retry shortly",
                         server_.options().max_concurrent_queries));
    busy.headers.emplace_back("Retry-After", "1");
    write(std::move(busy));
    return;
  }
  waiting_slow_ = true;
  const std::uint64_t generation = ++generation_;
  query_timer_.expires_after(toMillis(server_.options().query_timeout_seconds));
  query_timer_.async_wait([self = this->shared_from_this(), generation](beast::error_code ec) {
    if (ec || !self->waiting_slow_ || self->generation_ != generation) return;
    self->waiting_slow_ = false;
    self->server_.mutableStats().timed_out++;
    self->keep_alive_ = false;  // the abandoned query still holds a worker
    self->write(Response::error(
        503, fmt::format("query did not finish within {:g} s; narrow the window or use a "
                         "coarser step",
                         self->server_.options().query_timeout_seconds)));
  });
  asio::post(server_.pool(), [self = this->shared_from_this(), generation] {
    Response response;
    try {
      response = self->server_.handler().slow(self->request_);
    } catch (const std::bad_alloc&) {
      response = Response::error(503, "the server ran out of memory for this query");
    } catch (const std::exception&) {
      response = Response::error(500, "internal error");
    }
    self->server_.mutableStats().queries_in_flight--;
    asio::post(self->stream_.get_executor(), [self, generation, r = std::move(response)]() mutable {
      if (!self->waiting_slow_ || self->generation_ != generation) return;  // timed out
      self->waiting_slow_ = false;
      self->query_timer_.cancel();
      self->onSlowDone(std::move(r));
    });
  });
}

template <class Stream>
void Session<Stream>::onSlowDone(Response response) {
  write(std::move(response));
}

template <class Stream>
void Session<Stream>::write(Response response, bool close_after) {
  close_after_write_ = close_after || !keep_alive_;
  body_ = response.body ? std::move(response.body) : std::make_shared<const std::string>();
  response_ = {};
  response_.result(static_cast<http::status>(response.status));
  response_.version(11);
  response_.set(http::field::server, "trimtab");
  response_.set(http::field::content_type, response.content_type);
  for (const auto& [k, v] : response.headers) response_.set(k, v);
  response_.keep_alive(!close_after_write_);
  if (request_.method == "HEAD") {
    // The headers of the GET answer, without its body.
    response_.body() = http::span_body<const char>::value_type(body_->data(), 0);
    response_.content_length(body_->size());
  } else {
    response_.body() = http::span_body<const char>::value_type(body_->data(), body_->size());
    response_.prepare_payload();
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - started_).count();
  server_.handler().completed(request_, response.status, seconds, body_->size());
  tcpLayer().expires_after(toMillis(server_.options().write_timeout_seconds));
  http::async_write(stream_, response_,
                    [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                      self->onWrite(ec);
                    });
}

template <class Stream>
void Session<Stream>::onWrite(beast::error_code ec) {
  if (counted_) {
    server_.activeRequests()--;
    counted_ = false;
  }
  body_.reset();
  if (ec || close_after_write_) {
    close();
    return;
  }
  doRead();
}

template <class Stream>
void Session<Stream>::close() {
  beast::error_code ec;
  if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  } else {
    tcpLayer().expires_after(std::chrono::seconds(2));
    stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
  }
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::create(const ServerOptions& options, Handler& handler) {
  auto server = std::make_unique<ServerImpl>(options, handler);
  if (auto s = server->init(); !s) return fail(s.error());
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace trimtab::server
