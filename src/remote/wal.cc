#include "remote/wal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

namespace trimtab::remote {

namespace {

namespace fs = std::filesystem;

constexpr std::uint32_t kMagic = 0x31575454;  // "TTW1" little-endian
constexpr std::size_t kHeaderBytes = 4 + 4 + 4 + 8 + 8;
constexpr std::uint32_t kMaxRecordBytes = 256u << 20;

std::uint32_t crcOf(std::string_view data) {
  return static_cast<std::uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
}

tl::unexpected<Error> ioError(const std::string& what) {
  return fail(ErrorCode::kIo, fmt::format("{}: {}", what, std::strerror(errno)));
}

Status writeAll(int fd, const char* data, std::size_t n, const std::string& path) {
  while (n > 0) {
    const ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return ioError("writing " + path);
    }
    data += w;
    n -= static_cast<std::size_t>(w);
  }
  return {};
}

Status syncDir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return ioError("opening " + dir);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return ioError("syncing " + dir);
  return {};
}

// Reads the whole file (segments are bounded by segment_bytes).
Result<std::string> readFile(const std::string& path, std::uint64_t limit) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return ioError("opening " + path);
  std::string data;
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return ioError("reading " + path);
  }
  const auto size = std::min<std::uint64_t>(static_cast<std::uint64_t>(st.st_size), limit);
  data.resize(size);
  std::size_t got = 0;
  while (got < size) {
    const ssize_t r = ::pread(fd, data.data() + got, size - got, static_cast<off_t>(got));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      ::close(fd);
      return ioError("reading " + path);
    }
    got += static_cast<std::size_t>(r);
  }
  ::close(fd);
  return data;
}

struct Record {
  std::int64_t min_ts = 0, max_ts = 0;
  std::string_view payload;
};

// Parses the record at `pos`; false when the bytes there are not a whole valid record.
bool parseRecord(std::string_view data, std::size_t pos, Record& r, std::size_t& next) {
  if (data.size() - pos < kHeaderBytes) return false;
  std::uint32_t magic, bytes, crc;
  std::memcpy(&magic, data.data() + pos, 4);
  std::memcpy(&bytes, data.data() + pos + 4, 4);
  std::memcpy(&crc, data.data() + pos + 8, 4);
  std::memcpy(&r.min_ts, data.data() + pos + 12, 8);
  std::memcpy(&r.max_ts, data.data() + pos + 20, 8);
  if (magic != kMagic || bytes > kMaxRecordBytes || data.size() - pos - kHeaderBytes < bytes) return false;
  r.payload = data.substr(pos + kHeaderBytes, bytes);
  if (crcOf(r.payload) != crc) return false;
  next = pos + kHeaderBytes + bytes;
  return true;
}

}  // namespace

Result<std::unique_ptr<Wal>> Wal::open(const std::string& dir, const WalOptions& options) {
  std::unique_ptr<Wal> wal(new Wal());
  wal->dir_ = dir;
  wal->options_ = options;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail(ErrorCode::kIo, fmt::format("creating WAL directory {}: {}", dir, ec.message()));
  std::vector<std::uint64_t> sequences;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > 4 && name.substr(name.size() - 4) == ".wal") {
      char* end = nullptr;
      const unsigned long long seq = std::strtoull(name.c_str(), &end, 10);
      if (end != nullptr && std::string_view(end) == ".wal") sequences.push_back(seq);
    }
  }
  if (ec) return fail(ErrorCode::kIo, fmt::format("listing WAL directory {}: {}", dir, ec.message()));
  std::sort(sequences.begin(), sequences.end());
  for (std::size_t i = 0; i < sequences.size(); ++i) {
    Segment s;
    s.sequence = sequences[i];
    s.path = fmt::format("{}/{:016}.wal", dir, s.sequence);
    if (auto st = wal->recover(s); !st) return fail(st.error());
    if (s.records == 0) {
      fs::remove(s.path, ec);
      continue;
    }
    wal->segments_.push_back(std::move(s));
  }
  const std::uint64_t next = sequences.empty() ? 1 : sequences.back() + 1;
  if (auto st = wal->openSegment(next); !st) return fail(st.error());
  return wal;
}

Wal::~Wal() {
  if (fd_ >= 0) {
    if (options_.sync) (void)::fdatasync(fd_);
    ::close(fd_);
  }
}

Status Wal::recover(Segment& s) {
  auto data = readFile(s.path, std::numeric_limits<std::uint64_t>::max());
  if (!data) return fail(data.error());
  std::size_t pos = 0;
  Record r;
  std::size_t next = 0;
  while (pos < data->size() && parseRecord(*data, pos, r, next)) {
    if (s.records == 0) {
      s.min_ts_ms = r.min_ts;
      s.max_ts_ms = r.max_ts;
    } else {
      s.min_ts_ms = std::min(s.min_ts_ms, r.min_ts);
      s.max_ts_ms = std::max(s.max_ts_ms, r.max_ts);
    }
    s.records++;
    pos = next;
  }
  if (pos < data->size()) {
    // A record whose declared length fits in the file with more bytes after it was complete
    // once: it is damaged, not torn. Refuse rather than drop acknowledged data behind it.
    if (data->size() - pos >= kHeaderBytes) {
      std::uint32_t bytes;
      std::memcpy(&bytes, data->data() + pos + 4, 4);
      if (bytes <= kMaxRecordBytes && pos + kHeaderBytes + bytes < data->size()) {
        return fail(ErrorCode::kCorrupt,
                    fmt::format("WAL segment {}: damaged record at byte {} with {} bytes after it; move the "
                                "segment aside to start without it",
                                s.path, pos, data->size() - pos - kHeaderBytes - bytes));
      }
    }
    // A record that did not finish: written but never synced, so never acknowledged. Cut it
    // off so appends and scans see whole records only.
    if (::truncate(s.path.c_str(), static_cast<off_t>(pos)) != 0) return ioError("truncating " + s.path);
  }
  s.bytes = pos;
  stats_.records += s.records;
  stats_.bytes += s.bytes;
  return {};
}

Status Wal::openSegment(std::uint64_t sequence) {
  Segment s;
  s.sequence = sequence;
  s.path = fmt::format("{}/{:016}.wal", dir_, sequence);
  const int fd = ::open(s.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return ioError("creating " + s.path);
  if (auto st = syncDir(dir_); !st) {
    ::close(fd);
    return st;
  }
  fd_ = fd;
  segments_.push_back(std::move(s));
  stats_.segments = segments_.size();
  return {};
}

Status Wal::append(std::string_view payload, std::int64_t min_ts_ms, std::int64_t max_ts_ms) {
  if (payload.size() > kMaxRecordBytes) {
    return fail(ErrorCode::kInvalidArgument, fmt::format("WAL record of {} bytes is over the limit", payload.size()));
  }
  char header[kHeaderBytes];
  const std::uint32_t magic = kMagic, bytes = static_cast<std::uint32_t>(payload.size()), crc = crcOf(payload);
  std::memcpy(header, &magic, 4);
  std::memcpy(header + 4, &bytes, 4);
  std::memcpy(header + 8, &crc, 4);
  std::memcpy(header + 12, &min_ts_ms, 8);
  std::memcpy(header + 20, &max_ts_ms, 8);

  std::unique_lock<std::mutex> lock(mutex_);
  Segment* seg = &segments_.back();
  if (seg->bytes > 0 && seg->bytes + kHeaderBytes + payload.size() > options_.segment_bytes) {
    // Rotate: everything written so far becomes durable with the old segment.
    if (options_.sync && ::fdatasync(fd_) != 0) return ioError("syncing " + seg->path);
    ::close(fd_);
    fd_ = -1;
    synced_seq_ = written_seq_;
    if (auto st = openSegment(seg->sequence + 1); !st) return st;
    seg = &segments_.back();
  }
  std::string record(header, kHeaderBytes);
  record.append(payload);
  if (auto st = writeAll(fd_, record.data(), record.size(), seg->path); !st) return st;
  if (seg->records == 0) {
    seg->min_ts_ms = min_ts_ms;
    seg->max_ts_ms = max_ts_ms;
  } else {
    seg->min_ts_ms = std::min(seg->min_ts_ms, min_ts_ms);
    seg->max_ts_ms = std::max(seg->max_ts_ms, max_ts_ms);
  }
  seg->records++;
  seg->bytes += record.size();
  stats_.records++;
  stats_.bytes += record.size();
  const std::uint64_t mine = ++written_seq_;
  if (!options_.sync) {
    synced_seq_ = mine;
    return {};
  }
  // Group commit: one thread syncs for everyone written so far; the others wait for it.
  while (synced_seq_ < mine) {
    if (!syncing_) {
      syncing_ = true;
      const std::uint64_t target = written_seq_;
      const int fd = fd_;
      lock.unlock();
      const int rc = ::fdatasync(fd);
      lock.lock();
      syncing_ = false;
      if (rc != 0) {
        synced_cv_.notify_all();
        return ioError("syncing the WAL");
      }
      synced_seq_ = std::max(synced_seq_, target);
      stats_.syncs++;
      synced_cv_.notify_all();
    } else {
      synced_cv_.wait(lock);
    }
  }
  return {};
}

Status Wal::scan(std::int64_t from_ms, std::int64_t to_ms,
                 const std::function<Status(std::string_view)>& fn) const {
  std::vector<Segment> segments;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    segments = segments_;
  }
  for (const Segment& s : segments) {
    if (s.records == 0 || s.max_ts_ms < from_ms || s.min_ts_ms >= to_ms) continue;
    auto data = readFile(s.path, s.bytes);
    if (!data) return fail(data.error());
    std::size_t pos = 0, next = 0;
    Record r;
    while (pos < data->size()) {
      if (!parseRecord(*data, pos, r, next)) {
        return fail(ErrorCode::kCorrupt, fmt::format("WAL segment {}: bad record at byte {}", s.path, pos));
      }
      if (r.max_ts >= from_ms && r.min_ts < to_ms) {
        if (auto st = fn(r.payload); !st) return st;
      }
      pos = next;
    }
  }
  return {};
}

Result<std::size_t> Wal::truncateBefore(std::int64_t before_ms) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::size_t deleted = 0;
  for (std::size_t i = 0; i + 1 < segments_.size();) {
    if (segments_[i].max_ts_ms < before_ms) {
      std::error_code ec;
      fs::remove(segments_[i].path, ec);
      if (ec) return fail(ErrorCode::kIo, fmt::format("removing {}: {}", segments_[i].path, ec.message()));
      segments_.erase(segments_.begin() + static_cast<std::ptrdiff_t>(i));
      ++deleted;
    } else {
      ++i;
    }
  }
  stats_.segments = segments_.size();
  return deleted;
}

std::int64_t Wal::oldestTimestampMs() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::int64_t oldest = 0;
  for (const Segment& s : segments_) {
    if (s.records > 0 && (oldest == 0 || s.min_ts_ms < oldest)) oldest = s.min_ts_ms;
  }
  return oldest;
}

std::int64_t Wal::newestTimestampMs() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::int64_t newest = 0;
  for (const Segment& s : segments_) {
    if (s.records > 0 && s.max_ts_ms > newest) newest = s.max_ts_ms;
  }
  return newest;
}

WalStats Wal::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

std::uint64_t Wal::bytesOnDisk() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::uint64_t total = 0;
  for (const Segment& s : segments_) total += s.bytes;
  return total;
}

}  // namespace trimtab::remote
