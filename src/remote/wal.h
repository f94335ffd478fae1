// Write-ahead log for remote-write: what Trimtab acknowledged survives kill -9.
//
// Records are the request bodies exactly as received (snappy-compressed WriteRequests: ~7x
// smaller than decoded) with their sample time range:
//   [u32 magic 'TTW1'][u32 payload bytes][u32 crc32 of payload][i64 min ts ms][i64 max ts ms][payload]
// in segment files `<dir>/<sequence>.wal`, rotated at `segment_bytes`. append() returns only
// after an fdatasync covering its record (group commit: concurrent appends share one sync), so
// a 2xx sent after append() is durable. On open, a torn record at a segment's tail (a crash
// mid-write, never acknowledged) is cut off; a bad record elsewhere is an error naming the
// segment and offset, and the data before it stays readable.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "model/error.h"

namespace trimtab::remote {

struct WalOptions {
  std::uint64_t segment_bytes = 64u << 20;
  bool sync = true;  // false only for benchmarks that measure the cost of fdatasync
};

struct WalStats {
  std::uint64_t records = 0, bytes = 0, syncs = 0, segments = 0;
};

class Wal {
 public:
  static Result<std::unique_ptr<Wal>> open(const std::string& dir, const WalOptions& options = {});
  ~Wal();

  // Durable when it returns success. Thread-safe.
  Status append(std::string_view payload, std::int64_t min_ts_ms, std::int64_t max_ts_ms);

  // Calls fn for every record whose time range overlaps [from_ms, to_ms), oldest first.
  // Thread-safe with append().
  Status scan(std::int64_t from_ms, std::int64_t to_ms,
              const std::function<Status(std::string_view payload)>& fn) const;

  // Deletes segments (other than the one being written) whose records all end before
  // before_ms. Returns the number deleted.
  Result<std::size_t> truncateBefore(std::int64_t before_ms);

  // Oldest and newest sample time still in the log (0 when empty).
  std::int64_t oldestTimestampMs() const;
  std::int64_t newestTimestampMs() const;
  WalStats stats() const;
  std::uint64_t bytesOnDisk() const;

 private:
  struct Segment {
    std::uint64_t sequence = 0;
    std::string path;
    std::int64_t min_ts_ms = 0, max_ts_ms = 0;
    std::uint64_t bytes = 0, records = 0;
  };
  Wal() = default;
  Status openSegment(std::uint64_t sequence);
  Status recover(Segment& segment);

  std::string dir_;
  WalOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable synced_cv_;
  std::vector<Segment> segments_;  // oldest first; back() is being written
  int fd_ = -1;
  std::uint64_t written_seq_ = 0, synced_seq_ = 0;
  bool syncing_ = false;
  WalStats stats_;
};

}  // namespace trimtab::remote
