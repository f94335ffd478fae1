#include "http/client.h"

#include <curl/curl.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <csignal>
#include <ctime>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

namespace trimtab::http {
namespace {

struct UrlParts {
  std::string scheme, host, port, host_port, rest;  // rest: path and query, from the first '/'
};

// scheme://host[:port]/rest; IPv6 literals in brackets are kept whole. nullopt when unparsable.
std::optional<UrlParts> splitUrl(std::string_view url) {
  const auto sep = url.find("://");
  if (sep == std::string_view::npos) return std::nullopt;
  UrlParts p;
  p.scheme = std::string(url.substr(0, sep));
  std::string_view after = url.substr(sep + 3);
  const auto slash = after.find('/');
  p.host_port = std::string(after.substr(0, slash));
  p.rest = slash == std::string_view::npos ? "" : std::string(after.substr(slash));
  const auto bracket = p.host_port.rfind(']');
  const auto colon = p.host_port.rfind(':');
  if (colon != std::string::npos && (bracket == std::string::npos || colon > bracket)) {
    p.host = p.host_port.substr(0, colon);
    p.port = p.host_port.substr(colon + 1);
  } else {
    p.host = p.host_port;
    p.port = p.scheme == "https" ? "443" : "80";
  }
  if (p.host.empty()) return std::nullopt;
  return p;
}

constexpr std::size_t kExcerptBytes = 512;

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

void globalInit() {
  static std::once_flag once;
  std::call_once(once, [] {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    // A peer closing a TLS connection must not kill the process: libcurl with CURLOPT_NOSIGNAL
    // (needed with threads) leaves SIGPIPE alone, so ignore it unless the program chose a handler.
    struct sigaction current {};
    if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
      signal(SIGPIPE, SIG_IGN);
    }
  });
}

Result<std::string> readFile(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::kIo, fmt::format("{} {}: cannot read", what, path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string_view reasonPhrase(long status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "";
  }
}

bool retryableStatus(long status) { return status == 429 || (status >= 500 && status <= 599); }

}  // namespace

const std::string* Response::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return &v;
  }
  return nullptr;
}

std::string HttpError::message() const {
  std::string what;
  if (status != 0) {
    what = fmt::format("HTTP {}", status);
    if (auto r = reasonPhrase(status); !r.empty()) what += fmt::format(" {}", r);
  } else if (cancelled) {
    what = "cancelled";
  } else if (aborted_by_sink) {
    what = "stopped by the receiver: " + transport;
  } else {
    what = transport.empty() ? std::string("no response") : transport;
    if (timed_out && transport.find("imeout") == std::string::npos &&
        transport.find("imed out") == std::string::npos)
      what += " (timed out)";
  }
  std::string out = fmt::format("{} {}: {}", method, url, what);
  if (attempts > 1) out += fmt::format(" after {} attempts", attempts);
  if (!body_excerpt.empty()) out += fmt::format(": {}", body_excerpt);
  return out;
}

Error HttpError::toError() const {
  ErrorCode code = ErrorCode::kIo;
  if (status == 404)
    code = ErrorCode::kNotFound;
  else if (status >= 400 && status < 500 && status != 429)
    code = ErrorCode::kInvalidArgument;
  return Error{code, message()};
}

std::optional<std::chrono::milliseconds> parseRetryAfter(std::string_view value, UnixSeconds now) {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    if (value.size() > 9) return std::chrono::milliseconds(999'999'999'000LL);
    long long secs = std::stoll(std::string(value));
    return std::chrono::milliseconds(secs * 1000);
  }
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  auto comma = value.find(", ");
  if (comma == std::string_view::npos) return std::nullopt;
  std::string_view rest = value.substr(comma + 2);
  if (rest.size() != 24 || rest.substr(20) != " GMT") return std::nullopt;
  auto num = [&](std::size_t pos, std::size_t len) -> int {
    int v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(rest[i]))) return -1;
      v = v * 10 + (rest[i] - '0');
    }
    return v;
  };
  int day = num(0, 2), year = num(7, 4), hh = num(12, 2), mm = num(15, 2), ss = num(18, 2);
  int month = -1;
  for (int i = 0; i < 12; ++i) {
    if (rest.substr(3, 3) == kMonths[i]) month = i;
  }
  if (day < 1 || year < 1970 || hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60 ||
      month < 0 || rest[2] != ' ' || rest[6] != ' ' || rest[11] != ' ')
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month;
  tm.tm_mday = day;
  tm.tm_hour = hh;
  tm.tm_min = mm;
  tm.tm_sec = ss;
  UnixSeconds at = timegm(&tm);
  return std::chrono::milliseconds(std::max<long long>(0, at - now) * 1000);
}

std::chrono::milliseconds backoffDelay(const RetryPolicy& policy, int retry, double u) {
  double base = static_cast<double>(policy.initial_backoff.count()) *
                std::pow(2.0, std::clamp(retry - 1, 0, 30));
  base = std::min(base, static_cast<double>(policy.max_backoff.count()));
  double j = std::clamp(policy.jitter_fraction, 0.0, 1.0);
  double factor = 1.0 - j + 2.0 * j * std::clamp(u, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<long long>(base * factor));
}

struct Client::Impl {
  CURL* curl = nullptr;
  std::mutex mu;
  Env env;
  std::mt19937_64 rng;
  // Bearer token file cache.
  std::string token;
  bool token_loaded = false;
  struct stat token_stat {};

  ~Impl() {
    if (curl != nullptr) curl_easy_cleanup(curl);
  }

  Result<std::string> bearer(const Auth& auth) {
    if (!auth.bearer_token.empty()) return auth.bearer_token;
    if (auth.bearer_token_file.empty()) return std::string();
    struct stat st {};
    if (::stat(auth.bearer_token_file.c_str(), &st) != 0) {
      return fail(ErrorCode::kIo,
                  fmt::format("token file {}: cannot read (it was removed or is not accessible)",
                              auth.bearer_token_file));
    }
    if (!token_loaded || st.st_mtim.tv_sec != token_stat.st_mtim.tv_sec ||
        st.st_mtim.tv_nsec != token_stat.st_mtim.tv_nsec || st.st_size != token_stat.st_size ||
        st.st_ino != token_stat.st_ino) {
      auto text = readFile(auth.bearer_token_file, "token file");
      if (!text) return fail(text.error());
      std::string t(trim(*text));
      if (t.empty()) {
        return fail(ErrorCode::kParse, fmt::format("token file {}: empty", auth.bearer_token_file));
      }
      token = std::move(t);
      token_stat = st;
      token_loaded = true;
    }
    return token;
  }
};

Client::Client(ClientOptions options, Env env)
    : options_(std::move(options)), impl_(std::make_unique<Impl>()) {
  impl_->env = std::move(env);
  impl_->rng.seed(impl_->env.seed);
  if (!impl_->env.sleep) {
    impl_->env.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  }
  if (!impl_->env.uniform01) {
    Impl* impl = impl_.get();
    impl_->env.uniform01 = [impl] {
      return std::uniform_real_distribution<double>(0.0, 1.0)(impl->rng);
    };
  }
  if (impl_->env.clock == nullptr) impl_->env.clock = &SystemClock::instance();
}

Client::~Client() = default;

Result<std::unique_ptr<Client>> Client::create(ClientOptions options, Env env) {
  globalInit();
  auto check = [](const std::string& file, std::string_view what) -> Status {
    if (file.empty()) return {};
    std::ifstream in(file);
    if (!in) return fail(ErrorCode::kIo, fmt::format("{} {}: cannot read", what, file));
    return {};
  };
  const TlsConfig& tls = options.tls;
  if (tls.ca_pem.empty()) {
    if (auto s = check(tls.ca_file, "CA file"); !s) return fail(s.error());
  }
  if (tls.client_cert_pem.empty()) {
    if (auto s = check(tls.client_cert_file, "client certificate file"); !s) return fail(s.error());
  }
  if (tls.client_key_pem.empty()) {
    if (auto s = check(tls.client_key_file, "client key file"); !s) return fail(s.error());
  }
  bool has_cert = !tls.client_cert_pem.empty() || !tls.client_cert_file.empty();
  bool has_key = !tls.client_key_pem.empty() || !tls.client_key_file.empty();
  if (has_cert != has_key) {
    return fail(ErrorCode::kInvalidArgument,
                "TLS client certificate and key must be given together");
  }
  std::unique_ptr<Client> client(new Client(std::move(options), std::move(env)));
  client->impl_->curl = curl_easy_init();
  if (client->impl_->curl == nullptr) {
    return fail(ErrorCode::kInternal, "libcurl: curl_easy_init failed");
  }
  return client;
}

void Client::setCredentials(TlsConfig tls, Auth auth) {
  std::lock_guard lock(impl_->mu);
  options_.tls = std::move(tls);
  options_.auth = std::move(auth);
  impl_->token_loaded = false;
}

namespace {

struct Transfer {
  const BodySink* sink = nullptr;
  std::string* buffer = nullptr;
  CURL* curl = nullptr;
  const std::atomic<bool>* cancel = nullptr;
  Response response;
  std::string error_body;
  std::size_t delivered = 0;
  bool sink_stopped = false;
  long status() const {
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    return code;
  }
};

std::size_t onHeader(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * n);
  if (line.substr(0, 5) == "HTTP/") {
    t->response.headers.clear();  // a new response (after 100-continue or a redirect)
  } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
    t->response.headers.emplace_back(std::string(trim(line.substr(0, colon))),
                                     std::string(trim(line.substr(colon + 1))));
  }
  return size * n;
}

std::size_t onBody(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::size_t len = size * n;
  if (t->cancel != nullptr && t->cancel->load()) return 0;
  long code = t->status();
  if (code < 200 || code > 299) {
    if (t->error_body.size() < kExcerptBytes)
      t->error_body.append(data, std::min(len, kExcerptBytes - t->error_body.size()));
    return len;
  }
  if (t->sink != nullptr) {
    if (!(*t->sink)(std::string_view(data, len))) {
      t->sink_stopped = true;
      return 0;
    }
  } else {
    t->buffer->append(data, len);
  }
  t->delivered += len;
  return len;
}

int onProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  return (t->cancel != nullptr && t->cancel->load()) ? 1 : 0;
}

std::string excerpt(std::string_view body) {
  std::string out;
  for (char c : body.substr(0, 200)) out += (c == '\n' || c == '\r') ? ' ' : c;
  if (body.size() > 200) out += "...";
  return std::string(trim(out));
}

}  // namespace

HttpResult<Response> Client::send(const Request& request) { return stream(request, nullptr); }

HttpResult<Response> Client::stream(const Request& request, const BodySink& sink) {
  std::lock_guard lock(impl_->mu);
  CURL* curl = impl_->curl;
  HttpError err;
  err.url = request.url;
  err.method = request.method;
  const RetryPolicy& policy = options_.retry;
  int max_attempts = request.retry ? std::max(1, policy.max_attempts) : 1;

  for (int attempt = 1;; ++attempt) {
    err.attempts = attempt;
    curl_easy_reset(curl);
    Transfer t;
    std::string buffer;
    t.sink = sink ? &sink : nullptr;
    t.buffer = &buffer;
    t.curl = curl;
    t.cancel = request.cancel;

    // tls-server-name: ask for https://<server_name>:<port>/... but connect to the URL's own
    // host, so SNI and certificate verification use server_name.
    std::string url = request.url;
    curl_slist* connect_to = nullptr;
    std::string host_header;
    if (!options_.tls.server_name.empty()) {
      if (auto parts = splitUrl(request.url)) {
        url = parts->scheme + "://" + options_.tls.server_name + ":" + parts->port + parts->rest;
        connect_to = curl_slist_append(
            nullptr, (options_.tls.server_name + ":" + parts->port + ":" + parts->host + ":" + parts->port).c_str());
        host_header = "Host: " + parts->host_port;
      }
    }
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    if (connect_to != nullptr) curl_easy_setopt(curl, CURLOPT_CONNECT_TO, connect_to);
    if (!options_.proxy.empty()) curl_easy_setopt(curl, CURLOPT_PROXY, options_.proxy.c_str());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options_.connect_timeout.count()));
    long read_secs =
        static_cast<long>(std::max<long long>(1, (options_.read_timeout.count() + 999) / 1000));
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, read_secs);
    if (options_.total_timeout.count() > 0) {
      curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.total_timeout.count()));
    }
    curl_easy_setopt(curl, CURLOPT_HTTP_VERSION,
                     options_.http2 ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // gzip etc. when offered
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, onHeader);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, onBody);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, onProgress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &t);

    // TLS.
    const TlsConfig& tls = options_.tls;
    curl_blob ca_blob{}, cert_blob{}, key_blob{};
    if (!tls.ca_pem.empty()) {
      ca_blob = {const_cast<char*>(tls.ca_pem.data()), tls.ca_pem.size(), CURL_BLOB_NOCOPY};
      curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &ca_blob);
    } else if (!tls.ca_file.empty()) {
      curl_easy_setopt(curl, CURLOPT_CAINFO, tls.ca_file.c_str());
    }
    if (!tls.client_cert_pem.empty()) {
      cert_blob = {const_cast<char*>(tls.client_cert_pem.data()), tls.client_cert_pem.size(),
                   CURL_BLOB_NOCOPY};
      curl_easy_setopt(curl, CURLOPT_SSLCERT_BLOB, &cert_blob);
      curl_easy_setopt(curl, CURLOPT_SSLCERTTYPE, "PEM");
    } else if (!tls.client_cert_file.empty()) {
      curl_easy_setopt(curl, CURLOPT_SSLCERT, tls.client_cert_file.c_str());
    }
    if (!tls.client_key_pem.empty()) {
      key_blob = {const_cast<char*>(tls.client_key_pem.data()), tls.client_key_pem.size(),
                  CURL_BLOB_NOCOPY};
      curl_easy_setopt(curl, CURLOPT_SSLKEY_BLOB, &key_blob);
      curl_easy_setopt(curl, CURLOPT_SSLKEYTYPE, "PEM");
    } else if (!tls.client_key_file.empty()) {
      curl_easy_setopt(curl, CURLOPT_SSLKEY, tls.client_key_file.c_str());
    }
    if (tls.insecure_skip_verify) {
      curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
    }

    // Method, body, headers, auth.
    if (request.method == "GET") {
      curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    } else if (request.method == "HEAD") {
      curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    } else {
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
    if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
    }
    curl_slist* headers = nullptr;
    for (const auto& [k, v] : request.headers) {
      headers = curl_slist_append(headers, fmt::format("{}: {}", k, v).c_str());
    }
    auto token = impl_->bearer(options_.auth);
    if (!host_header.empty()) headers = curl_slist_append(headers, host_header.c_str());
    if (!token) {
      curl_slist_free_all(headers);
      curl_slist_free_all(connect_to);
      err.transport = token.error().message;
      return tl::unexpected(err);
    }
    std::string auth_header;
    if (!token->empty()) {
      auth_header = "Authorization: Bearer " + *token;
      headers = curl_slist_append(headers, auth_header.c_str());
    } else if (!options_.auth.basic_username.empty()) {
      curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
      curl_easy_setopt(curl, CURLOPT_USERNAME, options_.auth.basic_username.c_str());
      curl_easy_setopt(curl, CURLOPT_PASSWORD, options_.auth.basic_password.c_str());
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);

    CURLcode rc = curl_easy_perform(curl);
    curl_slist_free_all(headers);
    curl_slist_free_all(connect_to);
    long status = t.status();

    bool retryable = false;
    err.status = 0;
    err.transport.clear();
    err.body_excerpt.clear();
    err.timed_out = false;
    err.retry_after.reset();
    if (rc != CURLE_OK) {
      if (t.sink_stopped) {
        err.aborted_by_sink = true;
        err.transport = "the body consumer stopped the transfer";
        return tl::unexpected(err);
      }
      if (request.cancel != nullptr && request.cancel->load()) {
        err.cancelled = true;
        return tl::unexpected(err);
      }
      err.transport = curl_easy_strerror(rc);
      err.timed_out = rc == CURLE_OPERATION_TIMEDOUT;
      if (status != 0 && (status < 200 || status > 299)) err.status = status;
      // A TLS or certificate problem will not go away by retrying.
      bool tls_problem = rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_CERTPROBLEM ||
                         rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CIPHER ||
                         rc == CURLE_SSL_ENGINE_NOTFOUND || rc == CURLE_URL_MALFORMAT ||
                         rc == CURLE_UNSUPPORTED_PROTOCOL;
      retryable = !tls_problem && t.delivered == 0;
    } else if (status < 200 || status > 299) {
      err.status = status;
      err.body_excerpt = excerpt(t.error_body);
      if (auto* ra = t.response.header("Retry-After")) {
        err.retry_after = parseRetryAfter(*ra, impl_->env.clock->nowSeconds());
      }
      retryable = retryableStatus(status);
    } else {
      t.response.status = status;
      long version = 0;
      curl_easy_getinfo(curl, CURLINFO_HTTP_VERSION, &version);
      t.response.http_version = version == CURL_HTTP_VERSION_2_0 ? 2 : version == CURL_HTTP_VERSION_3 ? 3 : 1;
      t.response.body = std::move(buffer);
      return std::move(t.response);
    }
    if (!retryable || attempt >= max_attempts) return tl::unexpected(err);
    auto wait = backoffDelay(policy, attempt, impl_->env.uniform01());
    if (err.retry_after) wait = std::min(*err.retry_after, policy.max_retry_after);
    impl_->env.sleep(wait);
    if (request.cancel != nullptr && request.cancel->load()) {
      err.cancelled = true;
      return tl::unexpected(err);
    }
  }
}

std::string urlEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace trimtab::http
