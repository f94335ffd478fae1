#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <random>

#include "store/store.h"

namespace trimtab::store {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("trimtab-store-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

// Builds an hour block whose single container and node belong to dims.
Block hourBlock(Dimensions& dims, UnixSeconds start, double cpu_hours, int containers = 1) {
  Block b;
  b.cluster = "c1";
  b.start = start;
  b.end = start + kHourSeconds;
  b.containers.resize(static_cast<std::size_t>(containers));
  for (int i = 0; i < containers; ++i) {
    ContainerDim d;
    d.cluster = dims.intern("c1");
    d.namespace_name = dims.intern("ns" + std::to_string(i % 7));
    d.pod = dims.intern("pod-" + std::to_string(i));
    d.container = dims.intern("main");
    const auto idx = static_cast<std::size_t>(i);
    b.containers.container_id[idx] = dims.internContainer(d);
    b.containers.start[idx] = start;
    b.containers.end[idx] = start + kHourSeconds;
    b.containers.running_seconds[idx] = 3600;
    b.containers.cpu_core_hours[idx] = cpu_hours + i;
    b.containers.cpu_cost[idx] = (cpu_hours + i) * 0.03;
  }
  NodeDim n;
  n.cluster = dims.intern("c1");
  n.name = dims.intern("node-1");
  b.nodes.resize(1);
  b.nodes.node_id[0] = dims.internNode(n);
  b.nodes.hours[0] = 1;
  b.nodes.cpu_cost[0] = 1;
  b.canonicalize();
  return b;
}

double sumCpuHours(const Store& store, BlockKind kind) {
  auto infos = store.listBlocks("", kind, 0, 1LL << 40);
  EXPECT_TRUE(infos);
  double sum = 0;
  for (const auto& info : *infos) {
    auto b = store.readBlock(info, ColumnSelection{});
    EXPECT_TRUE(b) << (b ? "" : b.error().message);
    for (double v : b->containers.cpu_core_hours) sum += v;
  }
  return sum;
}

TEST(SqliteStore, CommitPersistsBlocksDimensionsAndDayFolds) {
  TempDir dir;
  const std::string path = dir.file("store.db");
  {
    auto store = openSqliteStore(path, OpenMode::kReadWrite);
    ASSERT_TRUE(store) << store.error().message;
    std::vector<Block> blocks;
    for (int h = 0; h < 30; ++h) {
      blocks.push_back(hourBlock((*store)->mutableDimensions(), 86400 * 10 + h * 3600, 1.0));
    }
    auto stats = (*store)->commit(std::move(blocks));
    ASSERT_TRUE(stats) << stats.error().message;
    EXPECT_EQ(stats->hour_blocks_written, 30u);
    EXPECT_EQ(stats->day_blocks_written, 2u);
  }
  auto store = openSqliteStore(path, OpenMode::kReadOnly);
  ASSERT_TRUE(store) << store.error().message;
  EXPECT_DOUBLE_EQ(sumCpuHours(**store, BlockKind::kHour), 30.0);
  EXPECT_DOUBLE_EQ(sumCpuHours(**store, BlockKind::kDay), 30.0);
  const Dimensions& dims = (*store)->dimensions();
  ASSERT_EQ(dims.containerCount(), 1u);
  EXPECT_EQ(dims.str(dims.container(0).pod), "pod-0");
  auto plan = planWindow(**store, "c1", 86400 * 10 + 3600 * 20, 86400 * 12);
  ASSERT_TRUE(plan);
  // 4 hour blocks of day 10 and the day block of day 11.
  ASSERT_EQ(plan->size(), 5u);
  EXPECT_EQ((*plan)[4].kind, BlockKind::kDay);
}

TEST(SqliteStore, ReingestingTheSameDataIsIdempotent) {
  TempDir dir;
  const std::string path = dir.file("store.db");
  auto ingest = [&] {
    auto store = openSqliteStore(path, OpenMode::kReadWrite);
    EXPECT_TRUE(store);
    std::vector<Block> blocks;
    for (int h = 0; h < 5; ++h) {
      blocks.push_back(hourBlock((*store)->mutableDimensions(), h * 3600, 2.0, 20));
    }
    return *(*store)->commit(std::move(blocks));
  };
  const CommitStats first = ingest();
  EXPECT_EQ(first.hour_blocks_written, 5u);
  const auto size_after_first = fs::file_size(path);
  const CommitStats second = ingest();
  EXPECT_EQ(second.hour_blocks_written, 0u);
  EXPECT_EQ(second.hour_blocks_unchanged, 5u);
  EXPECT_EQ(second.day_blocks_written, 0u);
  EXPECT_EQ(second.bytes_written, 0u);
  auto store = openSqliteStore(path, OpenMode::kReadOnly);
  ASSERT_TRUE(store);
  EXPECT_EQ((*store)->dimensions().containerCount(), 20u);
  EXPECT_DOUBLE_EQ(sumCpuHours(**store, BlockKind::kHour), 5 * (20 * 2.0 + 190));
  EXPECT_LE(fs::file_size(path), size_after_first + 65536);
}

TEST(SqliteStore, ReadOnlyOpenOfMissingStoreNamesThePath) {
  TempDir dir;
  auto store = openSqliteStore(dir.file("nope.db"), OpenMode::kReadOnly);
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().message.find("nope.db"), std::string::npos);
}

TEST(SqliteStore, NonStoreFileIsRejected) {
  TempDir dir;
  const std::string path = dir.file("not-a-store.db");
  { FILE* f = std::fopen(path.c_str(), "w"); std::fputs("hello, I am not sqlite", f); std::fclose(f); }
  auto store = openSqliteStore(path, OpenMode::kReadOnly);
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().message.find("not-a-store.db"), std::string::npos);
}

// Commits a first batch, then a child process starts a second commit and is killed with SIGKILL
// inside the transaction. The store must open and hold exactly the first batch.
TEST(SqliteStore, KilledDuringFlushLeavesPreviousContent) {
  TempDir dir;
  const std::string path = dir.file("store.db");
  {
    auto store = openSqliteStore(path, OpenMode::kReadWrite);
    ASSERT_TRUE(store);
    std::vector<Block> blocks;
    for (int h = 0; h < 3; ++h) blocks.push_back(hourBlock((*store)->mutableDimensions(), h * 3600, 1.0));
    ASSERT_TRUE((*store)->commit(std::move(blocks)));
  }
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::setenv("TRIMTAB_TEST_CRASH", "mid-commit", 1);
    auto store = openSqliteStore(path, OpenMode::kReadWrite);
    if (!store) ::_exit(3);
    std::vector<Block> blocks;
    // Replaces hour 0 and adds new hours and new dimension rows, all in one transaction.
    for (int h = 0; h < 6; ++h) {
      blocks.push_back(hourBlock((*store)->mutableDimensions(), h * 3600, 100.0, 50));
    }
    (void)(*store)->commit(std::move(blocks));
    ::_exit(4);  // not reached: the commit kills the process
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGKILL);

  auto store = openSqliteStore(path, OpenMode::kReadOnly);
  ASSERT_TRUE(store) << store.error().message;
  EXPECT_EQ((*store)->dimensions().containerCount(), 1u);
  EXPECT_DOUBLE_EQ(sumCpuHours(**store, BlockKind::kHour), 3.0);
  EXPECT_DOUBLE_EQ(sumCpuHours(**store, BlockKind::kDay), 3.0);
  auto hours = (*store)->listBlocks("", BlockKind::kHour, 0, 1LL << 40);
  ASSERT_TRUE(hours);
  EXPECT_EQ(hours->size(), 3u);
}

// A child commits batch after batch; it is killed at a random moment. Whatever it managed to
// commit must be whole: every stored hour holds either the old or a complete new batch.
TEST(SqliteStore, KilledAtRandomMomentsStaysConsistent) {
  std::mt19937 rng(1234);
  for (int round = 0; round < 4; ++round) {
    TempDir dir;
    const std::string path = dir.file("store.db");
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      auto store = openSqliteStore(path, OpenMode::kReadWrite);
      if (!store) ::_exit(3);
      for (int batch = 1;; ++batch) {
        std::vector<Block> blocks;
        for (int h = 0; h < 4; ++h) {
          blocks.push_back(
              hourBlock((*store)->mutableDimensions(), h * 3600, batch * 1000.0, 200));
        }
        if (!(*store)->commit(std::move(blocks))) ::_exit(5);
      }
    }
    ::usleep(std::uniform_int_distribution<useconds_t>(20000, 300000)(rng));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    auto store = openSqliteStore(path, OpenMode::kReadOnly);
    if (!store) {
      // Killed before the schema was created: the file may not be a store yet; that is fine
      // only if nothing was ever committed.
      continue;
    }
    auto hours = (*store)->listBlocks("", BlockKind::kHour, 0, 1LL << 40);
    ASSERT_TRUE(hours);
    if (hours->empty()) continue;
    ASSERT_EQ(hours->size(), 4u);
    // All four hours come from the same batch: their sums are equal.
    std::vector<double> sums;
    for (const auto& info : *hours) {
      auto b = (*store)->readBlock(info, ColumnSelection::all());
      ASSERT_TRUE(b) << b.error().message;
      double s = 0;
      for (double v : b->containers.cpu_core_hours) s += v;
      sums.push_back(s);
    }
    for (double s : sums) EXPECT_DOUBLE_EQ(s, sums[0]);
    EXPECT_DOUBLE_EQ(sumCpuHours(**store, BlockKind::kDay), 4 * sums[0]);
  }
}

}  // namespace
}  // namespace trimtab::store

namespace trimtab::store {
namespace {

TEST(SqliteStore, PruningHourBlocksKeepsDayTotalsAndRefusesHourlyQueriesBeforeTheHorizon) {
  char tmpl[] = "/tmp/trimtab-prune-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string path = std::string(tmpl) + "/store.db";
  {
    auto store = openSqliteStore(path, OpenMode::kReadWrite);
    ASSERT_TRUE(store);
    std::vector<Block> blocks;
    for (int h = 0; h < 72; ++h) blocks.push_back(hourBlock((*store)->mutableDimensions(), h * 3600, 1.0, 50));
    ASSERT_TRUE((*store)->commit(std::move(blocks)));
    auto onDisk = [&] {
      std::error_code ec;
      const auto wal = fs::file_size(path + "-wal", ec);
      return fs::file_size(path) + (ec ? 0 : wal);
    };
    const auto size_before = onDisk();
    auto deleted = (*store)->pruneHourBlocks(2 * kDaySeconds);
    ASSERT_TRUE(deleted) << deleted.error().message;
    EXPECT_EQ(*deleted, 48u);
    EXPECT_EQ((*store)->hourlyHorizon(), 2 * kDaySeconds);
    EXPECT_DOUBLE_EQ(sumCpuHours(**store, BlockKind::kDay), 72 * (50 * 1.0 + 1225));
    EXPECT_LT(onDisk(), size_before);
  }
  auto store = openSqliteStore(path, OpenMode::kReadOnly);
  ASSERT_TRUE(store);
  EXPECT_EQ((*store)->hourlyHorizon(), 2 * kDaySeconds);
  EXPECT_TRUE(planWindow(**store, "", 0, 2 * kDaySeconds));                  // whole days
  EXPECT_TRUE(planWindow(**store, "", 2 * kDaySeconds + 3600, 3 * kDaySeconds));  // after
  auto refused = planWindow(**store, "", 3600, kDaySeconds);                 // hours before
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("pruned"), std::string::npos);
  fs::remove_all(tmpl);
}

}  // namespace
}  // namespace trimtab::store
