// SQLite implementation of Store: WAL mode, one transaction per commit, blocks as BLOBs.
#include <sqlite3.h>

#include <algorithm>
#include <cstdlib>
#include <csignal>
#include <map>
#include <mutex>
#include <set>

#include <fmt/format.h>

#include "model/time_format.h"
#include "store/codec.h"
#include "store/store.h"

namespace trimtab::store {

namespace {

constexpr int kSchemaVersion = 1;

class Statement {
 public:
  Statement(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  bool ok() const { return rc_ == SQLITE_OK; }
  sqlite3_stmt* get() { return stmt_; }
  void bind(int i, std::int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void bind(int i, std::string_view s) {
    sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  }
  void bindBlob(int i, std::string_view b) {
    sqlite3_bind_blob64(stmt_, i, b.data(), b.size(), SQLITE_STATIC);
  }
  int step() { return sqlite3_step(stmt_); }
  std::int64_t i64(int c) { return sqlite3_column_int64(stmt_, c); }
  std::string_view text(int c) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, c));
    return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, c)))
             : std::string_view();
  }
  std::string_view blob(int c) {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, c));
    return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, c)))
             : std::string_view();
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_;
};

// Test hook for the crash test: TRIMTAB_TEST_CRASH=mid-commit kills the process with SIGKILL
// after the blocks are written but before the transaction commits.
void maybeCrash(const char* point) {
  const char* env = std::getenv("TRIMTAB_TEST_CRASH");
  if (env != nullptr && std::string_view(env) == point) std::raise(SIGKILL);
}

class SqliteStore final : public Store {
 public:
  SqliteStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteStore() override { sqlite3_close_v2(db_); }

  Status init(OpenMode mode) {
    if (mode == OpenMode::kReadWrite) {
      // auto_vacuum only takes effect on a new database: pruned hour blocks give their pages
      // back (incremental_vacuum) instead of leaving the file at its peak size.
      if (auto s = exec("PRAGMA auto_vacuum=INCREMENTAL; PRAGMA journal_mode=WAL; "
                        "PRAGMA synchronous=FULL;");
          !s) {
        return s;
      }
      if (auto s = exec(
              "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
              "CREATE TABLE IF NOT EXISTS dimension_chunks(seq INTEGER PRIMARY KEY, "
              "  data BLOB NOT NULL);"
              "CREATE TABLE IF NOT EXISTS blocks(id INTEGER PRIMARY KEY, cluster TEXT NOT NULL, "
              "  kind INTEGER NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL, "
              "  container_rows INTEGER NOT NULL, checksum INTEGER NOT NULL, "
              "  data BLOB NOT NULL);"
              "CREATE UNIQUE INDEX IF NOT EXISTS blocks_key ON blocks(cluster, kind, start);");
          !s) {
        return s;
      }
      if (auto s = exec(fmt::format("INSERT OR IGNORE INTO meta VALUES('schema_version', '{}');",
                                    kSchemaVersion));
          !s) {
        return s;
      }
    }
    {
      Statement st(db_, "SELECT value FROM meta WHERE key = 'schema_version'");
      if (!st.ok() || st.step() != SQLITE_ROW) {
        return fail(ErrorCode::kCorrupt,
                    fmt::format("{}: not a Trimtab store (no schema version)", path_));
      }
      const std::string version(st.text(0));
      if (version != std::to_string(kSchemaVersion)) {
        return fail(ErrorCode::kUnsupported,
                    fmt::format("{}: store schema version {} (this build reads {})", path_,
                                version, kSchemaVersion));
      }
    }
    {
      Statement h(db_, "SELECT value FROM meta WHERE key = 'hourly_horizon'");
      if (h.ok() && h.step() == SQLITE_ROW) hourly_horizon_ = std::atoll(std::string(h.text(0)).c_str());
    }
    Statement st(db_, "SELECT seq, data FROM dimension_chunks ORDER BY seq");
    if (!st.ok()) return sqlError("reading dimensions");
    int rc;
    while ((rc = st.step()) == SQLITE_ROW) {
      if (auto s = dims_.applyChunk(st.blob(1)); !s) {
        return fail(s.error().withContext(fmt::format("{}: dimension chunk {}", path_, st.i64(0))));
      }
      last_chunk_seq_ = st.i64(0);
    }
    if (rc != SQLITE_DONE) return sqlError("reading dimensions");
    committed_mark_ = dims_.mark();
    data_version_ = dataVersion();
    return {};
  }

  Result<bool> refresh() override {
    std::lock_guard<std::mutex> lock(read_mutex_);
    const std::int64_t version = dataVersion();
    if (version == data_version_) return false;
    // Another connection committed: read its dimension chunks inside one read transaction so
    // the chunks and the blocks that reference them are seen together.
    if (auto s = exec("BEGIN"); !s) return fail(s.error());
    auto applied = [&]() -> Status {
      Statement st(db_, "SELECT seq, data FROM dimension_chunks WHERE seq > ?1 ORDER BY seq");
      if (!st.ok()) return sqlError("reading new dimensions");
      st.bind(1, last_chunk_seq_);
      int rc;
      while ((rc = st.step()) == SQLITE_ROW) {
        if (auto s = dims_.applyChunk(st.blob(1)); !s) {
          return fail(s.error().withContext(fmt::format("{}: dimension chunk {}", path_, st.i64(0))));
        }
        last_chunk_seq_ = st.i64(0);
      }
      if (rc != SQLITE_DONE) return sqlError("reading new dimensions");
      Statement h(db_, "SELECT value FROM meta WHERE key = 'hourly_horizon'");
      if (h.ok() && h.step() == SQLITE_ROW) {
        hourly_horizon_ = std::atoll(std::string(h.text(0)).c_str());
      }
      return {};
    }();
    (void)exec("COMMIT");
    if (!applied) return fail(applied.error());
    committed_mark_ = dims_.mark();
    data_version_ = version;
    return true;
  }

  const Dimensions& dimensions() const override { return dims_; }
  Dimensions& mutableDimensions() override { return dims_; }

  Result<CommitStats> commit(std::vector<Block> hour_blocks) override {
    CommitStats stats;
    if (auto s = exec("BEGIN IMMEDIATE"); !s) return fail(s.error());
    auto result = commitInTransaction(hour_blocks, stats);
    if (!result) {
      (void)exec("ROLLBACK");
      return fail(result.error());
    }
    maybeCrash("mid-commit");
    if (auto s = exec("COMMIT"); !s) {
      (void)exec("ROLLBACK");
      return fail(s.error());
    }
    committed_mark_ = dims_.mark();
    return stats;
  }

  Result<CommitStats> importBlocks(std::vector<Block> blocks) override {
    CommitStats stats;
    if (auto s = exec("BEGIN IMMEDIATE"); !s) return fail(s.error());
    auto result = [&]() -> Status {
      if (auto s = writeDimensions(stats); !s) return s;
      for (const Block& b : blocks) {
        const UnixSeconds span = b.kind == BlockKind::kDay ? kDaySeconds : kHourSeconds;
        if (b.start % span != 0 || b.end != b.start + span) {
          return fail(ErrorCode::kInternal,
                      fmt::format("import: block at {} is not aligned to its kind", b.start));
        }
        const std::string encoded = encodeBlock(b);
        if (auto s = putBlock(b, encoded, static_cast<std::int64_t>(checksum64(encoded))); !s) {
          return s;
        }
        ++(b.kind == BlockKind::kDay ? stats.day_blocks_written : stats.hour_blocks_written);
        stats.bytes_written += encoded.size();
      }
      return {};
    }();
    if (!result) {
      (void)exec("ROLLBACK");
      return fail(result.error());
    }
    if (auto s = exec("COMMIT"); !s) {
      (void)exec("ROLLBACK");
      return fail(s.error());
    }
    committed_mark_ = dims_.mark();
    return stats;
  }

  Result<std::vector<BlockInfo>> listBlocks(std::string_view cluster, BlockKind kind,
                                            UnixSeconds from, UnixSeconds to) const override {
    std::lock_guard<std::mutex> lock(read_mutex_);
    Statement st(db_,
                 cluster.empty()
                     ? "SELECT cluster, start, end, container_rows, length(data), checksum "
                       "FROM blocks WHERE kind = ?1 AND start < ?3 AND end > ?2 "
                       "ORDER BY cluster, start"
                     : "SELECT cluster, start, end, container_rows, length(data), checksum "
                       "FROM blocks WHERE kind = ?1 AND start < ?3 AND end > ?2 AND cluster = ?4 "
                       "ORDER BY cluster, start");
    if (!st.ok()) return sqlError("listing blocks");
    st.bind(1, static_cast<std::int64_t>(kind));
    st.bind(2, from);
    st.bind(3, to);
    if (!cluster.empty()) st.bind(4, cluster);
    std::vector<BlockInfo> out;
    int rc;
    while ((rc = st.step()) == SQLITE_ROW) {
      out.push_back(BlockInfo{kind, std::string(st.text(0)), st.i64(1), st.i64(2),
                              static_cast<std::uint64_t>(st.i64(3)),
                              static_cast<std::uint64_t>(st.i64(4)),
                              static_cast<std::uint64_t>(st.i64(5))});
    }
    if (rc != SQLITE_DONE) return sqlError("listing blocks");
    return out;
  }

  // Thread-safe: the SQLite read is serialised, decoding runs concurrently.
  Result<Block> readBlock(const BlockInfo& info, const ColumnSelection& columns) const override {
    std::string bytes;
    {
      std::lock_guard<std::mutex> lock(read_mutex_);
      Statement st(db_, "SELECT data FROM blocks WHERE cluster = ?1 AND kind = ?2 AND start = ?3");
      if (!st.ok()) return sqlError("reading a block");
      st.bind(1, info.cluster);
      st.bind(2, static_cast<std::int64_t>(info.kind));
      st.bind(3, info.start);
      if (st.step() != SQLITE_ROW) {
        return fail(ErrorCode::kNotFound, fmt::format("{}: block {} {} at {} not found", path_,
                                                      info.cluster, int(info.kind), info.start));
      }
      bytes = st.blob(0);
    }
    auto block = decodeBlock(bytes, columns);
    if (!block) {
      return fail(block.error().withContext(
          fmt::format("{}: {} block of cluster {} starting {}", path_,
                      info.kind == BlockKind::kDay ? "day" : "hour", info.cluster, info.start)));
    }
    // A block committed by another process after this connection's last refresh() may name
    // dimension entries not loaded yet; callers must never index past the tables.
    if (auto s = checkIds(*block); !s) {
      return fail(s.error().withContext(
          fmt::format("{}: {} block of cluster {} starting {}", path_,
                      info.kind == BlockKind::kDay ? "day" : "hour", info.cluster, info.start)));
    }
    return block;
  }

  Result<std::size_t> pruneHourBlocks(UnixSeconds before) override {
    if (auto s = exec("BEGIN IMMEDIATE"); !s) return fail(s.error());
    std::size_t deleted = 0;
    auto result = [&]() -> Status {
      Statement del(db_, "DELETE FROM blocks WHERE kind = 0 AND end <= ?1");
      del.bind(1, before);
      if (del.step() != SQLITE_DONE) return sqlError("pruning hour blocks");
      deleted = static_cast<std::size_t>(sqlite3_changes(db_));
      const UnixSeconds horizon = std::max(hourly_horizon_, before);
      Statement meta(db_, "INSERT INTO meta VALUES('hourly_horizon', ?1) "
                          "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
      meta.bind(1, std::to_string(horizon));
      if (meta.step() != SQLITE_DONE) return sqlError("recording the hourly horizon");
      return {};
    }();
    if (!result) {
      (void)exec("ROLLBACK");
      return fail(result.error());
    }
    if (auto s = exec("COMMIT"); !s) {
      (void)exec("ROLLBACK");
      return fail(s.error());
    }
    hourly_horizon_ = std::max(hourly_horizon_, before);
    (void)exec("PRAGMA incremental_vacuum; PRAGMA wal_checkpoint(TRUNCATE);");
    return deleted;
  }

  UnixSeconds hourlyHorizon() const override { return hourly_horizon_; }

  Result<std::vector<std::string>> clusters() const override {
    std::lock_guard<std::mutex> lock(read_mutex_);
    Statement st(db_, "SELECT DISTINCT cluster FROM blocks ORDER BY cluster");
    if (!st.ok()) return sqlError("listing clusters");
    std::vector<std::string> out;
    while (st.step() == SQLITE_ROW) out.emplace_back(st.text(0));
    return out;
  }

  Result<std::pair<UnixSeconds, UnixSeconds>> extent() const override {
    std::lock_guard<std::mutex> lock(read_mutex_);
    Statement st(db_, "SELECT min(start), max(end) FROM blocks WHERE kind = 0");
    if (!st.ok() || st.step() != SQLITE_ROW) return sqlError("reading the extent");
    return std::pair<UnixSeconds, UnixSeconds>{st.i64(0), st.i64(1)};
  }

 private:
  Status writeDimensions(CommitStats& stats) {
    if (dims_.mark() == committed_mark_) return {};
    Statement st(db_, "INSERT INTO dimension_chunks(data) VALUES(?1)");
    const std::string chunk = dims_.encodeSince(committed_mark_);
    st.bindBlob(1, chunk);
    if (st.step() != SQLITE_DONE) return sqlError("writing dimensions");
    stats.bytes_written += chunk.size();
    return {};
  }

  Status commitInTransaction(std::vector<Block>& hour_blocks, CommitStats& stats) {
    if (auto s = writeDimensions(stats); !s) return s;
    std::map<std::pair<std::string, UnixSeconds>, bool> touched_days;
    for (Block& block : hour_blocks) {
      if (block.kind != BlockKind::kHour || block.start % kHourSeconds != 0 ||
          block.end != block.start + kHourSeconds) {
        return fail(ErrorCode::kInternal,
                    fmt::format("commit: block at {} is not an aligned hour block", block.start));
      }
      const std::string encoded = encodeBlock(block);
      const auto sum = static_cast<std::int64_t>(checksum64(encoded));
      {
        Statement st(db_, "SELECT checksum FROM blocks WHERE cluster = ?1 AND kind = 0 AND "
                          "start = ?2");
        st.bind(1, block.cluster);
        st.bind(2, block.start);
        if (st.step() == SQLITE_ROW && st.i64(0) == sum) {
          ++stats.hour_blocks_unchanged;
          continue;
        }
      }
      if (auto s = putBlock(block, encoded, sum); !s) return s;
      ++stats.hour_blocks_written;
      stats.bytes_written += encoded.size();
      touched_days[{block.cluster, block.start - block.start % kDaySeconds}] = true;
    }
    for (const auto& [key, unused] : touched_days) {
      const auto& [cluster, day] = key;
      auto infos = listBlocks(cluster, BlockKind::kHour, day, day + kDaySeconds);
      if (!infos) return fail(infos.error());
      std::vector<Block> hours;
      hours.reserve(infos->size());
      for (const BlockInfo& info : *infos) {
        auto b = readBlock(info, ColumnSelection::all());
        if (!b) return fail(b.error());
        hours.push_back(std::move(*b));
      }
      std::vector<const Block*> parts;
      for (const Block& b : hours) parts.push_back(&b);
      Block day_block = foldBlocks(parts, BlockKind::kDay, day, day + kDaySeconds);
      day_block.cluster = cluster;
      const std::string encoded = encodeBlock(day_block);
      if (auto s = putBlock(day_block, encoded, static_cast<std::int64_t>(checksum64(encoded)));
          !s) {
        return s;
      }
      ++stats.day_blocks_written;
      stats.bytes_written += encoded.size();
    }
    return {};
  }

  Status putBlock(const Block& block, std::string_view encoded, std::int64_t sum) {
    Statement st(db_,
                 "INSERT INTO blocks(cluster, kind, start, end, container_rows, checksum, data) "
                 "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) "
                 "ON CONFLICT(cluster, kind, start) DO UPDATE SET end = excluded.end, "
                 "container_rows = excluded.container_rows, checksum = excluded.checksum, "
                 "data = excluded.data");
    st.bind(1, block.cluster);
    st.bind(2, static_cast<std::int64_t>(block.kind));
    st.bind(3, block.start);
    st.bind(4, block.end);
    st.bind(5, static_cast<std::int64_t>(block.containers.size()));
    st.bind(6, sum);
    st.bindBlob(7, encoded);
    if (st.step() != SQLITE_DONE) return sqlError("writing a block");
    return {};
  }

  Status exec(const std::string& sql) const {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown error";
      sqlite3_free(err);
      return fail(ErrorCode::kIo, fmt::format("{}: {}", path_, msg));
    }
    return {};
  }

  Status checkIds(const Block& b) const {
    auto check = [](const std::vector<std::uint32_t>& ids, std::size_t count, bool allow_none,
                    const char* what) -> Status {
      for (std::uint32_t id : ids) {
        if (id >= count && !(allow_none && id == kNoContainer)) {
          return fail(ErrorCode::kNotFound,
                      fmt::format("{} id {} is not in the loaded dimensions ({} entries); the "
                                  "store changed since it was opened: refresh and retry",
                                  what, id, count));
        }
      }
      return {};
    };
    if (auto s = check(b.containers.container_id, dims_.containerCount(), false, "container"); !s) return s;
    if (auto s = check(b.nodes.node_id, dims_.nodeCount(), false, "node"); !s) return s;
    if (auto s = check(b.volumes.volume_id, dims_.volumeCount(), false, "volume"); !s) return s;
    if (auto s = check(b.load_balancers.service_id, dims_.serviceCount(), false, "service"); !s) return s;
    if (auto s = check(b.volume_shares.container_id, dims_.containerCount(), true, "container"); !s) return s;
    if (auto s = check(b.volume_shares.asset_id, dims_.volumeCount(), false, "volume"); !s) return s;
    if (auto s = check(b.load_balancer_shares.container_id, dims_.containerCount(), true, "container"); !s) return s;
    return check(b.load_balancer_shares.asset_id, dims_.serviceCount(), false, "service");
  }

  // PRAGMA data_version: changes when another connection commits to the file.
  std::int64_t dataVersion() const {
    Statement v(db_, "PRAGMA data_version");
    return v.ok() && v.step() == SQLITE_ROW ? v.i64(0) : -1;
  }

  tl::unexpected<Error> sqlError(std::string_view doing) const {
    return fail(ErrorCode::kIo, fmt::format("{}: {}: {}", path_, doing, sqlite3_errmsg(db_)));
  }

  sqlite3* db_;
  mutable std::mutex read_mutex_;
  std::string path_;
  Dimensions dims_;
  Dimensions::Mark committed_mark_;
  UnixSeconds hourly_horizon_ = 0;
  std::int64_t last_chunk_seq_ = 0;
  std::int64_t data_version_ = -1;
};

}  // namespace

Result<std::unique_ptr<Store>> openSqliteStore(const std::string& path, OpenMode mode) {
  sqlite3* db = nullptr;
  const int flags = mode == OpenMode::kReadOnly ? SQLITE_OPEN_READONLY
                                                : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  if (sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    if (mode == OpenMode::kReadOnly) {
      return fail(ErrorCode::kNotFound,
                  fmt::format("{}: cannot open store ({}); create it with `trimtab ingest` or "
                              "`trimtab demo`", path, msg));
    }
    return fail(ErrorCode::kIo, fmt::format("{}: cannot open store: {}", path, msg));
  }
  sqlite3_busy_timeout(db, 10000);
  // Blocks are large blobs: memory-mapped reads avoid a read() and copy per overflow page.
  sqlite3_exec(db, "PRAGMA mmap_size=68719476736;", nullptr, nullptr, nullptr);
  auto store = std::make_unique<SqliteStore>(db, path);
  if (auto s = store->init(mode); !s) return fail(s.error());
  return std::unique_ptr<Store>(std::move(store));
}

Result<std::vector<BlockInfo>> planWindow(const Store& store, std::string_view cluster,
                                          UnixSeconds from, UnixSeconds to) {
  std::vector<BlockInfo> plan;
  if (to <= from) return plan;
  const UnixSeconds first_full_day = (from + kDaySeconds - 1) / kDaySeconds * kDaySeconds;
  const UnixSeconds last_full_day_end = to / kDaySeconds * kDaySeconds;
  // Parts of the window that need hour blocks: before the first whole day and after the last.
  const bool whole_days = first_full_day < last_full_day_end;
  const UnixSeconds hourly_from = from;
  const UnixSeconds hourly_until = whole_days ? std::max(first_full_day, from) : to;
  const bool needs_hours_before_horizon =
      (hourly_until > hourly_from && hourly_from < store.hourlyHorizon()) ||
      (whole_days && last_full_day_end < to && last_full_day_end < store.hourlyHorizon());
  if (needs_hours_before_horizon) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("window: hourly data before {} was pruned by the hourly "
                            "retention; use whole UTC days (e.g. step 1d) for older data",
                            model::formatRfc3339(store.hourlyHorizon())));
  }
  if (first_full_day < last_full_day_end) {
    auto days = store.listBlocks(cluster, BlockKind::kDay, first_full_day, last_full_day_end);
    if (!days) return days;
    plan.insert(plan.end(), days->begin(), days->end());
    auto head = store.listBlocks(cluster, BlockKind::kHour, from, first_full_day);
    if (!head) return head;
    auto tail = store.listBlocks(cluster, BlockKind::kHour, last_full_day_end, to);
    if (!tail) return tail;
    plan.insert(plan.end(), head->begin(), head->end());
    plan.insert(plan.end(), tail->begin(), tail->end());
  } else {
    auto hours = store.listBlocks(cluster, BlockKind::kHour, from, to);
    if (!hours) return hours;
    plan = std::move(*hours);
  }
  std::sort(plan.begin(), plan.end(), [](const BlockInfo& a, const BlockInfo& b) {
    return std::tie(a.cluster, a.start, a.kind) < std::tie(b.cluster, b.start, b.kind);
  });
  return plan;
}

}  // namespace trimtab::store
