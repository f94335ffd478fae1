#include "remote/write_request.h"

#include <snappy.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include <fmt/format.h>

namespace trimtab::remote {

namespace {

// A bounded cursor over protobuf bytes.
class Reader {
 public:
  Reader(std::string_view data, std::size_t base) : data_(data), base_(base) {}
  bool done() const { return pos_ >= data_.size(); }
  std::size_t offset() const { return base_ + pos_; }

  bool varint(std::uint64_t& out) {
    out = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) return false;
      const auto b = static_cast<std::uint8_t>(data_[pos_++]);
      out |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;  // more than 10 bytes
  }
  bool fixed64(std::uint64_t& out) {
    if (data_.size() - pos_ < 8) return false;
    std::memcpy(&out, data_.data() + pos_, 8);  // little-endian on every supported target
    pos_ += 8;
    return true;
  }
  bool bytes(std::string_view& out) {
    std::uint64_t n;
    if (!varint(n) || n > data_.size() - pos_) return false;
    out = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  // Skips a field of the given wire type.
  bool skip(std::uint32_t wire) {
    std::uint64_t v;
    std::string_view s;
    switch (wire) {
      case 0: return varint(v);
      case 1: return fixed64(v);
      case 2: return bytes(s);
      case 5:
        if (data_.size() - pos_ < 4) return false;
        pos_ += 4;
        return true;
      default: return false;  // groups (3, 4) are not used by remote-write
    }
  }

 private:
  std::string_view data_;
  std::size_t base_;
  std::size_t pos_ = 0;
};

tl::unexpected<Error> malformed(std::size_t offset, std::string_view what) {
  return fail(ErrorCode::kParse, fmt::format("remote-write body: byte {}: {}", offset, what));
}

void putVarint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void putBytes(std::string& out, std::uint32_t field, std::string_view s) {
  putVarint(out, (field << 3) | 2);
  putVarint(out, s.size());
  out.append(s);
}

}  // namespace

Result<std::string> snappyUncompress(std::string_view compressed, std::size_t max_bytes) {
  std::size_t n = 0;
  if (!snappy::GetUncompressedLength(compressed.data(), compressed.size(), &n)) {
    return fail(ErrorCode::kParse, "remote-write body: not snappy block-format data");
  }
  if (n > max_bytes) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("remote-write body: uncompresses to {} bytes, over the {} byte limit", n, max_bytes));
  }
  std::string out;
  if (!snappy::Uncompress(compressed.data(), compressed.size(), &out)) {
    return fail(ErrorCode::kParse, "remote-write body: corrupt snappy data");
  }
  return out;
}

std::string snappyCompress(std::string_view raw) {
  std::string out;
  snappy::Compress(raw.data(), raw.size(), &out);
  return out;
}

Result<DecodeStats> decodeWriteRequest(std::string_view protobuf, source::SampleSink* sink) {
  DecodeStats stats;
  bool have_ts = false;
  std::vector<source::Label> labels;
  std::vector<std::pair<double, std::int64_t>> samples;
  Reader top(protobuf, 0);
  while (!top.done()) {
    const std::size_t field_at = top.offset();
    std::uint64_t key;
    if (!top.varint(key)) return malformed(field_at, "truncated field key");
    const auto field = static_cast<std::uint32_t>(key >> 3), wire = static_cast<std::uint32_t>(key & 7);
    if (field != 1) {
      if (!top.skip(wire)) return malformed(field_at, fmt::format("bad or truncated field {} (wire type {})", field, wire));
      continue;
    }
    std::string_view ts_bytes;
    if (wire != 2 || !top.bytes(ts_bytes)) return malformed(field_at, "timeseries: expected a length-delimited message");
    const std::size_t ts_base = top.offset() - ts_bytes.size();
    Reader ts(ts_bytes, ts_base);
    labels.clear();
    samples.clear();
    std::string_view name;
    while (!ts.done()) {
      const std::size_t at = ts.offset();
      std::uint64_t k;
      if (!ts.varint(k)) return malformed(at, "timeseries: truncated field key");
      const auto f = static_cast<std::uint32_t>(k >> 3), w = static_cast<std::uint32_t>(k & 7);
      if (f == 1 || f == 2) {
        std::string_view msg;
        if (w != 2 || !ts.bytes(msg)) return malformed(at, f == 1 ? "label: expected a message" : "sample: expected a message");
        Reader m(msg, ts.offset() - msg.size());
        if (f == 1) {
          source::Label label;
          while (!m.done()) {
            const std::size_t lat = m.offset();
            std::uint64_t lk;
            if (!m.varint(lk)) return malformed(lat, "label: truncated field key");
            const auto lf = static_cast<std::uint32_t>(lk >> 3), lw = static_cast<std::uint32_t>(lk & 7);
            if ((lf == 1 || lf == 2) && lw == 2) {
              if (!m.bytes(lf == 1 ? label.name : label.value)) return malformed(lat, "label: truncated string");
            } else if (!m.skip(lw)) {
              return malformed(lat, "label: bad field");
            }
          }
          if (label.name == "__name__") {
            name = label.value;
          } else {
            labels.push_back(label);
          }
        } else {
          double value = 0;
          std::int64_t t = 0;
          while (!m.done()) {
            const std::size_t sat = m.offset();
            std::uint64_t sk;
            if (!m.varint(sk)) return malformed(sat, "sample: truncated field key");
            const auto sf = static_cast<std::uint32_t>(sk >> 3), sw = static_cast<std::uint32_t>(sk & 7);
            if (sf == 1 && sw == 1) {
              std::uint64_t bits;
              if (!m.fixed64(bits)) return malformed(sat, "sample: truncated value");
              std::memcpy(&value, &bits, 8);
            } else if (sf == 2 && sw == 0) {
              std::uint64_t v;
              if (!m.varint(v)) return malformed(sat, "sample: truncated timestamp");
              t = static_cast<std::int64_t>(v);
            } else if (!m.skip(sw)) {
              return malformed(sat, "sample: bad field");
            }
          }
          samples.emplace_back(value, t);
        }
      } else if (!ts.skip(w)) {
        return malformed(at, fmt::format("timeseries: bad field {}", f));
      }
    }
    if (name.empty() && !samples.empty()) {
      return malformed(ts_base, "timeseries without a __name__ label");
    }
    stats.series++;
    for (const auto& [value, t] : samples) {
      stats.samples++;
      if (!have_ts) {
        stats.min_timestamp_ms = stats.max_timestamp_ms = t;
        have_ts = true;
      } else {
        stats.min_timestamp_ms = std::min(stats.min_timestamp_ms, t);
        stats.max_timestamp_ms = std::max(stats.max_timestamp_ms, t);
      }
      if (sink != nullptr) {
        source::Sample s;
        s.metric = name;
        s.labels = labels.data();
        s.label_count = labels.size();
        s.value = value;
        s.timestamp_ms = t;
        s.has_timestamp = true;
        sink->onSample(s);
      }
    }
  }
  return stats;
}

std::string encodeWriteRequest(const std::vector<Series>& series) {
  std::string out, ts, msg;
  for (const Series& s : series) {
    ts.clear();
    for (const auto& [n, v] : s.labels) {
      msg.clear();
      putBytes(msg, 1, n);
      putBytes(msg, 2, v);
      putBytes(ts, 1, msg);
    }
    for (const auto& [value, t] : s.samples) {
      msg.clear();
      putVarint(msg, (1 << 3) | 1);
      char bits[8];
      std::memcpy(bits, &value, 8);
      msg.append(bits, 8);
      putVarint(msg, (2 << 3) | 0);
      putVarint(msg, static_cast<std::uint64_t>(t));
      putBytes(ts, 2, msg);
    }
    putBytes(out, 1, ts);
  }
  return out;
}

}  // namespace trimtab::remote
