// The write-ahead log: records survive reopen, torn tails are cut, scans filter by time,
// truncation keeps what is still needed, concurrent appends all land.
#include "remote/wal.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

namespace trimtab::remote {
namespace {

namespace fs = std::filesystem;

std::string tempDir() {
  std::string t = (fs::temp_directory_path() / "trimtab-wal-XXXXXX").string();
  return ::mkdtemp(t.data());
}

std::vector<std::string> scanAll(const Wal& wal, std::int64_t from, std::int64_t to) {
  std::vector<std::string> out;
  EXPECT_TRUE(wal.scan(from, to, [&](std::string_view p) -> Status {
                    out.emplace_back(p);
                    return {};
                  }).has_value());
  return out;
}

TEST(Wal, RecordsSurviveReopenInOrder) {
  const std::string dir = tempDir();
  {
    auto wal = Wal::open(dir);
    ASSERT_TRUE(wal.has_value()) << wal.error().message;
    ASSERT_TRUE((*wal)->append("one", 1000, 2000).has_value());
    ASSERT_TRUE((*wal)->append("two", 3000, 4000).has_value());
  }
  auto wal = Wal::open(dir);
  ASSERT_TRUE(wal.has_value());
  EXPECT_EQ(scanAll(**wal, 0, 10000), (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(scanAll(**wal, 2500, 10000), (std::vector<std::string>{"two"}));
  EXPECT_EQ(scanAll(**wal, 0, 1000), (std::vector<std::string>{}));
  EXPECT_EQ((*wal)->oldestTimestampMs(), 1000);
  EXPECT_EQ((*wal)->newestTimestampMs(), 4000);
  fs::remove_all(dir);
}

TEST(Wal, TornTailIsCutAndAppendsContinue) {
  const std::string dir = tempDir();
  std::string segment;
  {
    auto wal = Wal::open(dir);
    ASSERT_TRUE((*wal)->append("whole", 1, 2).has_value());
    ASSERT_TRUE((*wal)->append("torn-record-payload", 3, 4).has_value());
    for (const auto& e : fs::directory_iterator(dir)) segment = e.path().string();
  }
  // Simulate a crash in the middle of the second record's write.
  fs::resize_file(segment, fs::file_size(segment) - 5);
  auto wal = Wal::open(dir);
  ASSERT_TRUE(wal.has_value()) << wal.error().message;
  EXPECT_EQ(scanAll(**wal, 0, 100), (std::vector<std::string>{"whole"}));
  ASSERT_TRUE((*wal)->append("after", 5, 6).has_value());
  EXPECT_EQ(scanAll(**wal, 0, 100), (std::vector<std::string>{"whole", "after"}));
  fs::remove_all(dir);
}

TEST(Wal, RotatesAndTruncatesOldSegments) {
  const std::string dir = tempDir();
  WalOptions options;
  options.segment_bytes = 100;
  auto wal = Wal::open(dir, options);
  ASSERT_TRUE(wal.has_value());
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE((*wal)->append(std::string(60, static_cast<char>('a' + i)), i * 1000, i * 1000 + 500).has_value());
  }
  EXPECT_GE((*wal)->stats().segments, 5u);
  auto deleted = (*wal)->truncateBefore(5000);
  ASSERT_TRUE(deleted.has_value());
  EXPECT_GT(*deleted, 0u);
  const auto left = scanAll(**wal, 0, 100000);
  ASSERT_FALSE(left.empty());
  EXPECT_EQ(left.back(), std::string(60, 'j'));
  for (const auto& p : left) EXPECT_GE(p[0], 'f') << "a record ending before 5000 ms survived";
  fs::remove_all(dir);
}

TEST(Wal, ConcurrentAppendsShareSyncs) {
  const std::string dir = tempDir();
  auto wal = Wal::open(dir);
  ASSERT_TRUE(wal.has_value());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) ASSERT_TRUE((*wal)->append("t" + std::to_string(t), i, i).has_value());
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(scanAll(**wal, 0, 1000).size(), 200u);
  EXPECT_LE((*wal)->stats().syncs, 200u);
  fs::remove_all(dir);
}

TEST(Wal, CorruptionInTheMiddleIsAnErrorNamingTheSegment) {
  const std::string dir = tempDir();
  WalOptions options;
  options.segment_bytes = 1 << 20;
  std::string segment;
  {
    auto wal = Wal::open(dir, options);
    ASSERT_TRUE((*wal)->append("first-record", 1, 2).has_value());
    ASSERT_TRUE((*wal)->append("second-record", 3, 4).has_value());
    for (const auto& e : fs::directory_iterator(dir)) segment = e.path().string();
  }
  {
    std::fstream f(segment, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(30);  // inside the first record's payload
    f.put('X');
  }
  // Damage followed by more records is not a torn tail: opening refuses, naming the segment
  // and offset, and the file is left as it was.
  const auto size = fs::file_size(segment);
  auto wal = Wal::open(dir, options);
  ASSERT_FALSE(wal.has_value());
  EXPECT_EQ(wal.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(wal.error().message.find(segment), std::string::npos) << wal.error().message;
  EXPECT_NE(wal.error().message.find("byte 0"), std::string::npos) << wal.error().message;
  EXPECT_EQ(fs::file_size(segment), size);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace trimtab::remote
