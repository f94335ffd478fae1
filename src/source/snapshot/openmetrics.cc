#include "source/snapshot/openmetrics.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <vector>

#include <fmt/format.h>

namespace trimtab::source {

SampleSink::~SampleSink() = default;
void SampleSink::onType(std::string_view, std::string_view) {}

bool SampleSink::wantFamily(std::string_view) { return true; }

namespace {

// Character classes by table: the hot loops run once per byte of every line.
enum : std::uint8_t { kNameStart = 1, kNameChar = 2, kLabelStart = 4, kLabelChar = 8 };

constexpr std::array<std::uint8_t, 256> makeClasses() {
  std::array<std::uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    bool digit = c >= '0' && c <= '9';
    std::uint8_t v = 0;
    if (alpha || c == ':') v |= kNameStart | kNameChar;
    if (digit) v |= kNameChar | kLabelChar;
    if (alpha) v |= kLabelStart | kLabelChar;
    t[static_cast<std::size_t>(c)] = v;
  }
  return t;
}
constexpr std::array<std::uint8_t, 256> kClasses = makeClasses();

inline bool is(char c, std::uint8_t cls) {
  return (kClasses[static_cast<unsigned char>(c)] & cls) != 0;
}
inline bool isNameStart(char c) { return is(c, kNameStart); }
inline bool isNameChar(char c) { return is(c, kNameChar); }
inline bool isLabelStart(char c) { return is(c, kLabelStart); }
inline bool isLabelChar(char c) { return is(c, kLabelChar); }
constexpr bool isBlank(char c) { return c == ' ' || c == '\t'; }

// Parses a whole token as a double: decimal, exponent, NaN, [+-]Inf (any case).
bool parseValue(std::string_view s, double& out) {
  if (s.empty()) return false;
  const char* b = s.data();
  const char* e = b + s.size();
  if (*b == '+') {
    ++b;
    if (b == e || *b == '-' || *b == '+') return false;
  }
  auto [ptr, ec] = std::from_chars(b, e, out);
  return ec == std::errc() && ptr == e;
}

// Seconds with an optional fraction (or any float) -> milliseconds.
bool parseTimestampMs(std::string_view s, std::int64_t& out_ms) {
  std::size_t i = 0;
  const bool neg = !s.empty() && s[0] == '-';
  if (neg) ++i;
  std::size_t int_start = i;
  std::int64_t secs = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - int_start < 15) {
    secs = secs * 10 + (s[i] - '0');
    ++i;
  }
  if (i > int_start) {
    std::int64_t ms = 0;
    bool ok = false;
    if (i == s.size()) {
      ok = true;
    } else if (s[i] == '.') {
      ++i;
      std::size_t frac_start = i;
      std::int64_t scale = 100;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        if (scale > 0) ms += (s[i] - '0') * scale;
        scale /= 10;
        ++i;
      }
      ok = i == s.size() && (i > frac_start || i - 1 > int_start);
    }
    if (ok) {
      out_ms = (secs * 1000 + ms) * (neg ? -1 : 1);
      return true;
    }
  }
  double seconds = 0;
  if (!parseValue(s, seconds) || !std::isfinite(seconds) || std::fabs(seconds) > 9.0e15) {
    return false;
  }
  out_ms = static_cast<std::int64_t>(std::llround(seconds * 1000.0));
  return true;
}

class Parser {
 public:
  Parser(std::string_view text, std::string_view source, SampleSink& sink)
      : text_(text), source_(source), sink_(sink) {
    // skip_family_: the family whose sample lines are skipped (empty: none).
    labels_.reserve(32);
  }

  Status run() {
    const char* data = text_.data();
    const std::size_t n = text_.size();
    std::size_t pos = 0;
    bool eof_seen = false;
    while (pos < n) {
      ++line_no_;
      const void* nl = std::memchr(data + pos, '\n', n - pos);
      std::size_t eol = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - data) : n;
      std::string_view line(data + pos, eol - pos);
      pos = eol + 1;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (eof_seen) {
        for (char c : line) {
          if (!isBlank(c)) return error("content after '# EOF'");
        }
        continue;
      }
      if (line.empty()) continue;
      if (!skip_family_.empty() && line[0] != '#' && line.starts_with(skip_family_)) continue;
      if (line[0] == '#') {
        if (line == "# EOF") {
          eof_seen = true;
          continue;
        }
        if (auto st = comment(line); !st) return st;
        continue;
      }
      if (auto st = sampleLine(line); !st) return st;
    }
    if (!eof_seen) {
      return fail(ErrorCode::kParse,
                  fmt::format("{}: missing '# EOF' at the end (truncated file?)", source_));
    }
    return {};
  }

 private:
  tl::unexpected<Error> error(std::string_view what) const {
    return fail(ErrorCode::kParse, fmt::format("{}:{}: {}", source_, line_no_, what));
  }

  Status comment(std::string_view line) {
    if (line.size() < 7 || line[1] != ' ') return {};  // other comments are ignored
    std::string_view kw = line.substr(2, 5);
    if (kw != "TYPE " && kw != "HELP " && kw != "UNIT ") return {};
    std::string_view rest = line.substr(7);
    std::size_t i = 0;
    if (rest.empty() || !isNameStart(rest[0])) {
      return error(fmt::format("expected a metric family name after '# {}'", kw.substr(0, 4)));
    }
    while (i < rest.size() && isNameChar(rest[i])) ++i;
    std::string_view family = rest.substr(0, i);
    if (family != skip_family_) skip_family_ = {};
    if (i < rest.size() && rest[i] != ' ') {
      return error(fmt::format("bad character in metric family name \"{}\"", rest.substr(0, i + 1)));
    }
    if (kw == "TYPE ") {
      std::string_view type = i < rest.size() ? rest.substr(i + 1) : std::string_view();
      static constexpr std::string_view kTypes[] = {"counter",   "gauge",          "histogram",
                                                    "summary",   "gaugehistogram", "stateset",
                                                    "info",      "unknown",        "untyped"};
      bool known = false;
      for (auto t : kTypes) known = known || t == type;
      if (!known) return error(fmt::format("unknown metric type \"{}\" for \"{}\"", type, family));
      sink_.onType(family, type);
      if (!sink_.wantFamily(family)) skip_family_ = family;
    }
    return {};
  }

  Status sampleLine(std::string_view line) {
    const std::size_t n = line.size();
    std::size_t p = 0;
    if (!isNameStart(line[0])) return error("expected a metric name at the start of the line");
    while (p < n && isNameChar(line[p])) ++p;
    Sample s;
    s.metric = line.substr(0, p);
    labels_.clear();
    bool scratch_ready = false;
    std::size_t scratch_used = 0;
    if (p < n && line[p] == '{') {
      ++p;
      while (true) {
        while (p < n && isBlank(line[p])) ++p;
        if (p < n && line[p] == '}') {
          ++p;
          break;
        }
        std::size_t name_start = p;
        if (p >= n || !isLabelStart(line[p])) {
          return error(fmt::format("expected a label name or '}}' in metric \"{}\"", s.metric));
        }
        while (p < n && isLabelChar(line[p])) ++p;
        std::string_view label_name = line.substr(name_start, p - name_start);
        while (p < n && isBlank(line[p])) ++p;
        if (p >= n || line[p] != '=') {
          return error(fmt::format("expected '=' after label name \"{}\"", label_name));
        }
        ++p;
        while (p < n && isBlank(line[p])) ++p;
        if (p >= n || line[p] != '"') {
          return error(fmt::format("expected '\"' to open the value of label \"{}\"", label_name));
        }
        ++p;
        const char* v = line.data() + p;
        const void* q = std::memchr(v, '"', n - p);
        if (!q) return error(fmt::format("unterminated value of label \"{}\"", label_name));
        std::size_t len = static_cast<std::size_t>(static_cast<const char*>(q) - v);
        std::string_view value(v, len);
        if (std::memchr(v, '\\', len) != nullptr) {
          // Escapes: unescape into scratch_, sized once per line so views stay valid.
          if (!scratch_ready) {
            if (scratch_.size() < n) scratch_.resize(n);
            scratch_ready = true;
          }
          char* out = scratch_.data() + scratch_used;
          std::size_t o = 0;
          while (true) {
            if (p >= n) return error(fmt::format("unterminated value of label \"{}\"", label_name));
            char c = line[p];
            if (c == '"') break;
            if (c == '\\') {
              if (p + 1 >= n) {
                return error(fmt::format("unterminated value of label \"{}\"", label_name));
              }
              char e = line[p + 1];
              if (e == 'n') {
                out[o++] = '\n';
              } else if (e == '\\' || e == '"') {
                out[o++] = e;
              } else {
                return error(fmt::format("invalid escape '\\{}' in value of label \"{}\"", e,
                                         label_name));
              }
              p += 2;
              continue;
            }
            out[o++] = c;
            ++p;
          }
          value = std::string_view(out, o);
          scratch_used += o;
        } else {
          p += len;
        }
        ++p;  // closing quote
        labels_.push_back(Label{label_name, value});
        while (p < n && isBlank(line[p])) ++p;
        if (p < n && line[p] == ',') {
          ++p;
          continue;
        }
        if (p < n && line[p] == '}') {
          ++p;
          break;
        }
        return error(fmt::format("expected ',' or '}}' after the value of label \"{}\"", label_name));
      }
    }
    if (p >= n || !isBlank(line[p])) {
      if (p < n) {
        return error(fmt::format("unexpected character '{}' after metric \"{}\"", line[p], s.metric));
      }
      return error(fmt::format("missing value for metric \"{}\"", s.metric));
    }
    while (p < n && isBlank(line[p])) ++p;
    std::size_t vstart = p;
    while (p < n && !isBlank(line[p])) ++p;
    std::string_view vtext = line.substr(vstart, p - vstart);
    if (vtext.empty()) return error(fmt::format("missing value for metric \"{}\"", s.metric));
    if (!parseValue(vtext, s.value)) {
      return error(fmt::format("invalid value \"{}\" for metric \"{}\"", vtext, s.metric));
    }
    while (p < n && isBlank(line[p])) ++p;
    if (p < n && line[p] != '#') {
      std::size_t tstart = p;
      while (p < n && !isBlank(line[p])) ++p;
      std::string_view ttext = line.substr(tstart, p - tstart);
      if (!parseTimestampMs(ttext, s.timestamp_ms)) {
        return error(fmt::format("invalid timestamp \"{}\" for metric \"{}\"", ttext, s.metric));
      }
      s.has_timestamp = true;
      while (p < n && isBlank(line[p])) ++p;
    }
    if (p < n && line[p] != '#') {
      return error(fmt::format("unexpected text \"{}\" after the sample of metric \"{}\"",
                               line.substr(p), s.metric));
    }
    // A '#' here starts an exemplar, which is skipped.
    s.labels = labels_.data();
    s.label_count = labels_.size();
    sink_.onSample(s);
    return {};
  }

  std::string_view text_;
  std::string_view skip_family_;
  std::string_view source_;
  SampleSink& sink_;
  std::size_t line_no_ = 0;
  std::vector<Label> labels_;
  std::string scratch_;
};

}  // namespace

Status parseOpenMetrics(std::string_view text, std::string_view source_name, SampleSink& sink) {
  Parser parser(text, source_name, sink);
  return parser.run();
}

Status parseOpenMetricsFile(const std::string& path, SampleSink& sink) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return fail(ErrorCode::kIo, fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return fail(ErrorCode::kIo, fmt::format("{}: cannot stat: {}", path, std::strerror(err)));
  }
  std::size_t size = static_cast<std::size_t>(st.st_size);
  if (size == 0) {
    ::close(fd);
    return parseOpenMetrics(std::string_view(), path, sink);
  }
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (map != MAP_FAILED) {
    ::close(fd);
    ::madvise(map, size, MADV_SEQUENTIAL);
    Status result = parseOpenMetrics(std::string_view(static_cast<const char*>(map), size), path, sink);
    ::munmap(map, size);
    return result;
  }
  std::string text(size, '\0');
  std::size_t done = 0;
  while (done < size) {
    ssize_t r = ::read(fd, text.data() + done, size - done);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      int err = errno;
      ::close(fd);
      return fail(ErrorCode::kIo, fmt::format("{}: read failed: {}", path, std::strerror(err)));
    }
    done += static_cast<std::size_t>(r);
  }
  ::close(fd);
  return parseOpenMetrics(text, path, sink);
}

// ---------------------------------------------------------------------------------------------

namespace {
constexpr std::size_t kFlushBytes = 1 << 16;

void appendEscaped(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

void appendHelp(std::string& out, std::string_view help) {
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}
}  // namespace

OpenMetricsWriter::OpenMetricsWriter(std::FILE* out) : file_(out) { buffer_.reserve(kFlushBytes + 4096); }
OpenMetricsWriter::OpenMetricsWriter(std::string* out) : target_(out) {}
OpenMetricsWriter::~OpenMetricsWriter() {
  if (!finished_) flush();
}

void OpenMetricsWriter::flush() {
  if (target_ != nullptr || buffer_.empty()) return;
  if (std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size()) write_failed_ = true;
  buffer_.clear();
}

void OpenMetricsWriter::flushIfFull() {
  if (file_ != nullptr && buffer_.size() >= kFlushBytes) flush();
}

void OpenMetricsWriter::family(std::string_view name, std::string_view type, std::string_view help,
                               std::string_view unit) {
  std::string& out = target_ ? *target_ : buffer_;
  out += "# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
  if (!unit.empty()) {
    out += "# UNIT ";
    out += name;
    out += ' ';
    out += unit;
    out += '\n';
  }
  if (!help.empty()) {
    out += "# HELP ";
    out += name;
    out += ' ';
    appendHelp(out, help);
    out += '\n';
  }
  flushIfFull();
}

namespace {

// Appends `metric{a="x",b="y"}` (just `metric` without labels) with escaped label values.
void appendSeries(std::string& out, std::string_view metric, std::span<const Label> labels) {
  out += metric;
  if (labels.empty()) return;
  out += '{';
  bool first = true;
  for (const Label& l : labels) {
    if (!first) out += ',';
    first = false;
    out += l.name;
    out += "=\"";
    appendEscaped(out, l.value);
    out += '"';
  }
  out += '}';
}

}  // namespace

std::string OpenMetricsWriter::seriesText(std::string_view metric, std::span<const Label> labels) {
  std::string out;
  appendSeries(out, metric, labels);
  return out;
}

void OpenMetricsWriter::appendValue(double value) {
  std::string& out = target_ ? *target_ : buffer_;
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];
    auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, value);
    out.append(buf, ec == std::errc() ? static_cast<std::size_t>(ptr - buf) : 0);
  }
}

void OpenMetricsWriter::appendTimestamp(std::int64_t timestamp_ms) {
  std::string& out = target_ ? *target_ : buffer_;
  // Negative times are written as -<abs seconds>.<ms>, as the parser reads them.
  const bool neg = timestamp_ms < 0;
  const std::uint64_t abs_ms = neg ? 0 - static_cast<std::uint64_t>(timestamp_ms)
                                   : static_cast<std::uint64_t>(timestamp_ms);
  const std::uint64_t secs = abs_ms / 1000;
  const std::uint64_t ms = abs_ms % 1000;
  if (neg) out += '-';
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, secs);
  char* p = r.ptr;
  if (ms != 0) {
    *p++ = '.';
    *p++ = static_cast<char>('0' + ms / 100);
    *p++ = static_cast<char>('0' + (ms / 10) % 10);
    *p++ = static_cast<char>('0' + ms % 10);
  }
  out.append(buf, static_cast<std::size_t>(p - buf));
}

void OpenMetricsWriter::sample(std::string_view series, double value, std::int64_t timestamp_ms) {
  std::string& out = target_ ? *target_ : buffer_;
  out += series;
  out += ' ';
  appendValue(value);
  out += ' ';
  appendTimestamp(timestamp_ms);
  out += '\n';
  flushIfFull();
}

void OpenMetricsWriter::sample(std::string_view metric, std::span<const Label> labels, double value,
                               std::int64_t timestamp_ms) {
  std::string& out = target_ ? *target_ : buffer_;
  appendSeries(out, metric, labels);
  out += ' ';
  appendValue(value);
  out += ' ';
  appendTimestamp(timestamp_ms);
  out += '\n';
  flushIfFull();
}

Status OpenMetricsWriter::finish(std::string_view what) {
  std::string& out = target_ ? *target_ : buffer_;
  out += "# EOF\n";
  flush();
  finished_ = true;
  if (file_ != nullptr && std::fflush(file_) != 0) write_failed_ = true;
  if (write_failed_) {
    return fail(ErrorCode::kIo, fmt::format("{}: write failed: {}", what, std::strerror(errno)));
  }
  return {};
}

}  // namespace trimtab::source
