// The block store: dimension tables plus immutable hour and day blocks, per cluster.
// Store is the interface (SQLite embedded today; a PostgreSQL implementation can follow);
// engines only read through it.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/clock.h"
#include "model/error.h"
#include "store/block.h"
#include "store/dimensions.h"

namespace trimtab::store {

inline constexpr UnixSeconds kHourSeconds = 3600;
inline constexpr UnixSeconds kDaySeconds = 86400;

struct BlockInfo {
  BlockKind kind = BlockKind::kHour;
  std::string cluster;
  UnixSeconds start = 0, end = 0;
  std::uint64_t container_rows = 0;
  std::uint64_t bytes = 0;
  std::uint64_t checksum = 0;  // of the encoded block
};

struct CommitStats {
  std::size_t hour_blocks_written = 0;
  std::size_t hour_blocks_unchanged = 0;
  std::size_t day_blocks_written = 0;
  std::uint64_t bytes_written = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  virtual const Dimensions& dimensions() const = 0;
  // Writers intern new identities here; they become durable at the next commit().
  virtual Dimensions& mutableDimensions() = 0;

  // In one transaction: persists dimension entries added since the last commit, writes each
  // hour block (a stored hour with identical content is left alone; a different one is
  // replaced: the newest ingest of an hour is authoritative), and rebuilds the day blocks of
  // the days touched. A crash at any point leaves the previous content intact.
  // REQUIRES: every block is kind kHour, hour-aligned, and canonical (Block::canonicalize()).
  virtual Result<CommitStats> commit(std::vector<Block> hour_blocks) = 0;

  // Bulk import of already-folded blocks of either kind, written as given (replacing stored
  // blocks with the same cluster, kind and start), in one transaction with the dimensions.
  // For backfills and benchmarks that build day blocks directly; commit() is the ingest path.
  // REQUIRES: blocks canonical; day blocks day-aligned, hour blocks hour-aligned.
  virtual Result<CommitStats> importBlocks(std::vector<Block> blocks) = 0;

  // Blocks of the given kind overlapping [from, to), ordered by cluster then start.
  // cluster empty = every cluster.
  virtual Result<std::vector<BlockInfo>> listBlocks(std::string_view cluster, BlockKind kind,
                                                    UnixSeconds from, UnixSeconds to) const = 0;
  // listBlocks, readBlock, clusters and extent are thread-safe (may run concurrently with
  // each other, not with commit(), importBlocks(), pruneHourBlocks() or refresh()).
  virtual Result<Block> readBlock(const BlockInfo& info, const ColumnSelection& columns) const = 0;
  virtual Result<std::vector<std::string>> clusters() const = 0;

  // Hourly retention: deletes hour blocks that end at or before `before` (their days keep
  // their day blocks, so totals are unchanged) and returns the space to the file. Queries that
  // need hourly resolution before the horizon then fail with a clear error instead of
  // returning partial days. Returns the number of hour blocks deleted.
  virtual Result<std::size_t> pruneHourBlocks(UnixSeconds before) = 0;
  // Hour blocks before this time were pruned (0 = none).
  virtual UnixSeconds hourlyHorizon() const = 0;
  // Picks up what other processes committed since open or the last refresh (new dimension
  // entries, the hourly horizon; later listBlocks/readBlock calls see their blocks). Returns
  // true when the file changed. Not concurrent with any other call on this store: callers
  // that share a store between threads hold an exclusive lock around it.
  virtual Result<bool> refresh() = 0;
  // [first hour start, last hour end) of the stored data; {0,0} when empty.
  virtual Result<std::pair<UnixSeconds, UnixSeconds>> extent() const = 0;
};

enum class OpenMode { kReadOnly, kReadWrite };

// Opens (kReadWrite creates) a SQLite store at path.
Result<std::unique_ptr<Store>> openSqliteStore(const std::string& path, OpenMode mode);

// The blocks a query over [from, to) reads: day blocks for UTC days inside the window, hour
// blocks for the partial days at either end (at most days + 2×24 blocks).
// REQUIRES: from and to hour-aligned.
Result<std::vector<BlockInfo>> planWindow(const Store& store, std::string_view cluster,
                                          UnixSeconds from, UnixSeconds to);

}  // namespace trimtab::store
