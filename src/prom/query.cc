#include "prom/query.h"

#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <fmt/format.h>

namespace trimtab::prom {

namespace {

bool isNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool isNameChar(char c) { return isNameStart(c) || (c >= '0' && c <= '9'); }

std::string quote(std::string_view v) {
  std::string out = "\"";
  for (char c : v) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  out += '"';
  return out;
}

// Unix seconds with a millisecond fraction when needed ("1700000000", "1700000000.5").
std::string apiTime(std::int64_t ms) {
  const std::int64_t s = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
  const std::int64_t frac = ms - s * 1000;
  if (frac == 0) return std::to_string(s);
  std::string f = fmt::format("{:03}", frac);
  while (f.back() == '0') f.pop_back();
  return fmt::format("{}.{}", s, f);
}

bool parseValue(std::string_view text, double& out) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  const auto r = std::from_chars(text.data(), text.data() + text.size(), out);
  return r.ec == std::errc() && r.ptr == text.data() + text.size();
}

// Pulls `"error":"..."` and `"errorType":"..."` out of a (possibly truncated) error body.
std::string backendError(std::string_view body) {
  auto field = [&](std::string_view name) -> std::string {
    const std::string key = fmt::format("\"{}\":\"", name);
    auto pos = body.find(key);
    if (pos == std::string_view::npos) return {};
    pos += key.size();
    std::string out;
    for (; pos < body.size() && body[pos] != '"'; ++pos) {
      if (body[pos] == '\\' && pos + 1 < body.size()) ++pos;
      out += body[pos];
    }
    return out;
  };
  std::string type = field("errorType"), error = field("error");
  if (error.empty()) return std::string(body.substr(0, 300));
  return type.empty() ? error : type + ": " + error;
}

}  // namespace

Result<std::vector<Matcher>> parseMatchers(std::string_view text) {
  std::vector<Matcher> out;
  std::size_t i = 0;
  auto skipSpace = [&] {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n')) ++i;
  };
  auto bad = [&](std::string_view what) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("label matchers \"{}\": at offset {}: expected {}", text, i, what));
  };
  skipSpace();
  bool braces = false;
  if (i < text.size() && text[i] == '{') {
    braces = true;
    ++i;
  }
  for (;;) {
    skipSpace();
    if (i >= text.size() || (braces && text[i] == '}')) break;
    Matcher m;
    if (!isNameStart(text[i])) return bad("a label name");
    const std::size_t name_start = i;
    while (i < text.size() && isNameChar(text[i])) ++i;
    m.name = std::string(text.substr(name_start, i - name_start));
    skipSpace();
    if (text.substr(i, 2) == "=~" || text.substr(i, 2) == "!~" || text.substr(i, 2) == "!=") {
      m.op = std::string(text.substr(i, 2));
      i += 2;
    } else if (i < text.size() && text[i] == '=') {
      m.op = "=";
      ++i;
    } else {
      return bad("one of = != =~ !~");
    }
    skipSpace();
    if (i >= text.size() || (text[i] != '"' && text[i] != '\'')) return bad("a quoted value");
    const char q = text[i++];
    bool closed = false;
    while (i < text.size()) {
      const char c = text[i++];
      if (c == q) {
        closed = true;
        break;
      }
      if (c == '\\') {
        if (i >= text.size()) break;
        const char e = text[i++];
        m.value += e == 'n' ? '\n' : e == 't' ? '\t' : e;
      } else {
        m.value += c;
      }
    }
    if (!closed) return bad("a closing quote");
    out.push_back(std::move(m));
    skipSpace();
    if (i < text.size() && text[i] == ',') {
      ++i;
      continue;
    }
    skipSpace();
    if (i >= text.size() || (braces && text[i] == '}')) break;
    return bad("',' between matchers");
  }
  if (braces) {
    if (i >= text.size() || text[i] != '}') return bad("'}'");
    ++i;
    skipSpace();
  }
  if (i != text.size()) return bad("the end of the matchers");
  return out;
}

std::string selector(std::string_view metric, const std::vector<Matcher>& matchers, bool namespaced) {
  std::string out(metric);
  std::string inner;
  for (const Matcher& m : matchers) {
    if (!namespaced && m.name == "namespace") continue;
    if (!inner.empty()) inner += ',';
    inner += m.name;
    inner += m.op;
    inner += quote(m.value);
  }
  if (!inner.empty()) out += "{" + inner + "}";
  return out;
}

std::string promDuration(std::int64_t milliseconds) {
  if (milliseconds % 1000 == 0) return fmt::format("{}s", milliseconds / 1000);
  return fmt::format("{}ms", milliseconds);
}

Status decodeAnswer(std::string& body, std::string_view what, const SeriesFn& fn,
                    QueryStats* stats) {
  namespace od = simdjson::ondemand;
  if (body.capacity() < body.size() + simdjson::SIMDJSON_PADDING) {
    body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  }
  thread_local od::parser parser;
  auto bad = [&](std::string_view detail) {
    return fail(ErrorCode::kInvalidArgument, fmt::format("{}: answer is not a Prometheus API answer: {}", what, detail));
  };
  od::document doc;
  if (auto err = parser.iterate(body.data(), body.size(), body.capacity()).get(doc)) {
    return bad(simdjson::error_message(err));
  }
  std::vector<source::Label> labels;
  std::vector<std::pair<std::int64_t, double>> points;
  std::string status, error_type, error;
  bool have_data = false;
  auto decodePoint = [&](od::value v) -> Status {
    od::array pair;
    if (v.get_array().get(pair)) return bad("a point is not [time, \"value\"]");
    double t = 0;
    std::string_view text;
    int k = 0;
    for (auto e : pair) {
      if (k == 0) {
        if (e.get_double().get(t)) return bad("a point's time is not a number");
      } else if (k == 1) {
        if (e.get_string().get(text)) return bad("a point's value is not a string");
      }
      ++k;
    }
    double value = 0;
    if (k != 2 || !parseValue(text, value)) return bad(fmt::format("point value \"{}\" is not a number", text));
    points.emplace_back(std::llround(t * 1000.0), value);
    return {};
  };
  auto decodeSeries = [&](od::value item) -> Status {
    labels.clear();
    points.clear();
    od::object obj;
    if (item.get_object().get(obj)) return bad("a result item is not an object");
    for (auto field : obj) {
      std::string_view key;
      if (field.unescaped_key().get(key)) return bad("bad key");
      if (key == "metric") {
        od::object m;
        if (field.value().get_object().get(m)) return bad("\"metric\" is not an object");
        for (auto lf : m) {
          std::string_view name, value;
          if (lf.unescaped_key().get(name) || lf.value().get_string().get(value)) return bad("bad label");
          if (name == "__name__") continue;
          labels.push_back({name, value});
        }
      } else if (key == "values") {
        od::array arr;
        if (field.value().get_array().get(arr)) return bad("\"values\" is not an array");
        for (auto v : arr) {
          od::value pv;
          if (v.get(pv)) return bad("bad point");
          if (auto s = decodePoint(pv); !s) return s;
        }
      } else if (key == "value") {
        od::value pv;
        if (field.value().get(pv)) return bad("bad point");
        if (auto s = decodePoint(pv); !s) return s;
      }
    }
    // Backends emit points in time order; a few merge replicas and may not, so make sure.
    if (!std::is_sorted(points.begin(), points.end())) std::sort(points.begin(), points.end());
    if (stats != nullptr) {
      stats->series++;
      stats->points += points.size();
    }
    fn(Series{labels.data(), labels.size(), points.data(), points.size()});
    return {};
  };
  od::object top;
  if (doc.get_object().get(top)) return bad("not a JSON object");
  for (auto field : top) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return bad("bad key");
    if (key == "status") {
      std::string_view v;
      if (field.value().get_string().get(v)) return bad("\"status\" is not a string");
      status = v;
    } else if (key == "errorType" || key == "error") {
      std::string_view v;
      if (field.value().get_string().get(v)) return bad("bad error field");
      (key == "error" ? error : error_type) = v;
    } else if (key == "warnings" || key == "infos") {
      od::array arr;
      if (field.value().get_array().get(arr)) return bad("\"warnings\" is not an array");
      for (auto w : arr) {
        std::string_view v;
        if (w.get_string().get(v)) return bad("a warning is not a string");
        if (stats != nullptr) stats->warnings.push_back(fmt::format("{}: {}", what, v));
      }
    } else if (key == "data") {
      od::object data;
      if (field.value().get_object().get(data)) return bad("\"data\" is not an object");
      have_data = true;
      for (auto df : data) {
        std::string_view dkey;
        if (df.unescaped_key().get(dkey)) return bad("bad key");
        if (dkey == "resultType") {
          std::string_view type;
          if (df.value().get_string().get(type)) return bad("\"resultType\" is not a string");
          if (type != "matrix" && type != "vector") {
            return fail(ErrorCode::kInvalidArgument,
                        fmt::format("{}: want a matrix or vector result, got {}", what, type));
          }
        } else if (dkey == "result") {
          od::array result;
          if (df.value().get_array().get(result)) return bad("\"result\" is not an array");
          for (auto item : result) {
            od::value v;
            if (item.get(v)) return bad("bad result item");
            if (auto s = decodeSeries(v); !s) return s;
          }
        }
      }
    }
  }
  if (status == "error") {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("{}: the backend answered an error: {}{}", what, error_type.empty() ? "" : error_type + ": ",
                            error));
  }
  if (status != "success") return bad(fmt::format("\"status\" is \"{}\", want \"success\"", status));
  if (!have_data) return bad("no \"data\"");
  return {};
}

struct Source::Impl {
  std::mutex mutex;
  std::vector<std::unique_ptr<http::Client>> idle;

  Result<std::unique_ptr<http::Client>> acquire(const http::ClientOptions& options) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (!idle.empty()) {
        auto c = std::move(idle.back());
        idle.pop_back();
        return c;
      }
    }
    return http::Client::create(options);
  }
  void release(std::unique_ptr<http::Client> c) {
    std::lock_guard<std::mutex> lock(mutex);
    idle.push_back(std::move(c));
  }
};

Source::Source(SourceOptions options) : options_(std::move(options)), impl_(std::make_unique<Impl>()) {}
Source::~Source() = default;

Result<std::unique_ptr<Source>> Source::create(SourceOptions options) {
  if (!options.url.starts_with("http://") && !options.url.starts_with("https://")) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("Prometheus URL \"{}\": want http://host:port or https://host[:port][/prefix]", options.url));
  }
  while (options.url.ends_with('/')) options.url.pop_back();
  if (options.concurrency < 1 || options.concurrency > 64) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("PromQL concurrency {}: want 1 to 64", options.concurrency));
  }
  std::unique_ptr<Source> source(new Source(std::move(options)));
  // Validates the TLS and auth options once, up front.
  auto client = http::Client::create(source->options_.http);
  if (!client) return fail(client.error());
  source->impl_->release(std::move(*client));
  return source;
}

namespace {

Result<std::string> fetch(Source::Impl& impl, const SourceOptions& options, const std::string& url,
                          std::string_view what, QueryStats* stats) {
  auto client = impl.acquire(options.http);
  if (!client) return fail(client.error());
  http::Request req;
  req.url = url;
  req.headers = options.headers;
  req.headers.emplace_back("Accept", "application/json");
  auto resp = (*client)->send(req);
  impl.release(std::move(*client));
  if (stats != nullptr) stats->queries++;
  if (!resp) {
    const http::HttpError& e = resp.error();
    if (e.status >= 400 && e.status < 500 && e.status != 429) {
      std::string hint;
      if (e.status == 422) hint = " (if it loads too many samples, use a shorter --chunk or a narrower --match)";
      return fail(ErrorCode::kInvalidArgument, fmt::format("{}: the backend rejected the query (HTTP {}): {}{}", what,
                                                           e.status, backendError(e.body_excerpt), hint));
    }
    return fail(ErrorCode::kIo, fmt::format("{}: backend unavailable: {}", what, e.message()));
  }
  if (stats != nullptr) stats->bytes += resp->body.size();
  return std::move(resp->body);
}

}  // namespace

Status Source::queryRange(std::string_view promql, std::int64_t start_ms, std::int64_t end_ms, std::int64_t step_ms,
                          const SeriesFn& fn, QueryStats* stats) {
  std::vector<Task> tasks{{"", std::string(promql)}};
  return queryRangeAll(tasks, start_ms, end_ms, step_ms, [&](std::size_t, const Series& s) { fn(s); }, stats);
}

Status Source::queryInstant(std::string_view promql, std::int64_t time_ms, const SeriesFn& fn, QueryStats* stats) {
  const std::string url = fmt::format("{}/api/v1/query?query={}&time={}&partial_response={}", options_.url,
                                      http::urlEncode(promql), apiTime(time_ms), options_.allow_partial ? "true" : "false");
  const std::string what = fmt::format("query {}", promql);
  auto body = fetch(*impl_, options_, url, what, stats);
  if (!body) return fail(body.error());
  return decodeAnswer(*body, what, fn, stats);
}

Result<std::optional<std::int64_t>> Source::detectScrapeIntervalMs(std::int64_t time_ms) {
  const std::string q = selector("kube_node_status_capacity", options_.matchers, false);
  std::string promql = q;
  promql.insert(q.find('{') == std::string::npos ? q.size() : q.size() - 1,
                q.find('{') == std::string::npos ? "{resource=\"cpu\"}" : ",resource=\"cpu\"");
  promql += "[30m]";
  std::vector<std::int64_t> gaps;
  auto s = queryInstant(promql, time_ms, [&](const Series& series) {
    for (std::size_t i = 1; i < series.point_count; ++i) {
      gaps.push_back(series.points[i].first - series.points[i - 1].first);
    }
  });
  if (!s) return fail(s.error());
  if (gaps.empty()) return std::optional<std::int64_t>{};
  std::nth_element(gaps.begin(), gaps.begin() + static_cast<std::ptrdiff_t>(gaps.size() / 2), gaps.end());
  return std::optional<std::int64_t>{gaps[gaps.size() / 2]};
}

Status Source::queryRangeAll(const std::vector<Task>& tasks, std::int64_t start_ms, std::int64_t end_ms,
                             std::int64_t step_ms, const TaskSeriesFn& fn, QueryStats* stats) {
  if (step_ms <= 0 || end_ms < start_ms) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("query_range [{}, {}] step {} ms: want start <= end and a positive step", start_ms,
                            end_ms, step_ms));
  }
  if ((end_ms - start_ms) / step_ms + 1 > options_.max_points_per_series) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("query_range [{}, {}] step {} ms: {} points per series, the limit is {}", start_ms, end_ms,
                            step_ms, (end_ms - start_ms) / step_ms + 1, options_.max_points_per_series));
  }
  const std::size_t n = tasks.size();
  std::mutex mutex;
  std::condition_variable cv;
  std::size_t next_to_deliver = 0;
  std::atomic<std::size_t> next_task{0};
  std::atomic<bool> failed{false};
  Status first_error;
  std::vector<QueryStats> worker_stats(static_cast<std::size_t>(options_.concurrency));

  auto work = [&](std::size_t w) {
    QueryStats& ws = worker_stats[w];
    for (;;) {
      const std::size_t i = next_task++;
      if (i >= n || failed) return;
      const Task& task = tasks[i];
      const std::string what = fmt::format("query_range {}", task.promql);
      const std::string url =
          fmt::format("{}/api/v1/query_range?query={}&start={}&end={}&step={}&partial_response={}", options_.url,
                      http::urlEncode(task.promql), apiTime(start_ms), apiTime(end_ms), apiTime(step_ms),
                      options_.allow_partial ? "true" : "false");
      auto body = fetch(*impl_, options_, url, what, &ws);
      std::unique_lock<std::mutex> lock(mutex);
      cv.wait(lock, [&] { return next_to_deliver == i || failed; });
      if (failed) return;
      Status s;
      if (!body) {
        s = fail(body.error());
      } else {
        lock.unlock();  // deliveries are serial by construction: only task next_to_deliver runs here
        s = decodeAnswer(*body, what, [&](const Series& series) { fn(i, series); }, &ws);
        lock.lock();
      }
      if (!s) {
        if (first_error) first_error = s;
        failed = true;
      } else {
        ++next_to_deliver;
      }
      cv.notify_all();
      if (failed) return;
    }
  };
  const std::size_t workers = std::min<std::size_t>(n, static_cast<std::size_t>(options_.concurrency));
  std::vector<std::thread> threads;
  for (std::size_t w = 1; w < workers; ++w) threads.emplace_back(work, w);
  if (workers > 0) work(0);
  for (auto& t : threads) t.join();
  if (stats != nullptr) {
    for (QueryStats& ws : worker_stats) {
      stats->queries += ws.queries;
      stats->series += ws.series;
      stats->points += ws.points;
      stats->bytes += ws.bytes;
      for (auto& w : ws.warnings) stats->warnings.push_back(std::move(w));
    }
  }
  return first_error;
}

}  // namespace trimtab::prom
