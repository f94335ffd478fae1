#include "source/snapshot/snapshot.h"

#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "test_dirs.h"

namespace trimtab::source {
namespace {

using testing::TempDir;

void write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

TEST(SourceSnapshot, ClassifiesFilesByContent) {
  TempDir dir;
  const std::string d = dir.path();
  write(d + "/a-nodes.data", "  \n{\"apiVersion\":\"v1\",\"items\":[],\"kind\":\"List\"}\n");
  write(d + "/b.txt", "# TYPE up gauge\nup{job=\"x\"} 1 1700000000\n# EOF\n");
  write(d + "/c.om", "up 1 1700000000\n# EOF");
  write(d + "/d.om", "up 1 1700000000\n");                  // no # EOF: not OpenMetrics
  write(d + "/e.json", "[1, 2, 3]\n");                        // JSON but not an object
  write(d + "/f.json", "{\"hello\": 1}");                     // no "kind"
  write(d + "/pricing.yaml", "pricing:\n  default: {}\n");
  write(d + "/README", "some notes\n");
  write(d + "/empty", "");
  write(d + "/.hidden", "{\"kind\":\"Pod\"}");
  std::filesystem::create_directory(d + "/sub");

  auto files = scanSnapshot(d);
  ASSERT_TRUE(files) << files.error().message;
  ASSERT_EQ(files->json_files.size(), 1u);
  EXPECT_EQ(files->json_files[0], d + "/a-nodes.data");
  ASSERT_EQ(files->openmetrics_files.size(), 2u);
  EXPECT_EQ(files->openmetrics_files[0], d + "/b.txt");
  EXPECT_EQ(files->openmetrics_files[1], d + "/c.om");
  ASSERT_EQ(files->pricing_files.size(), 1u);
  ASSERT_EQ(files->skipped.size(), 6u);  // d.om e.json f.json README empty sub
  EXPECT_EQ(files->skipped[0], d + "/README: not Kubernetes JSON, OpenMetrics text ending in '# EOF', or pricing YAML");
  bool saw_dir = false;
  for (const auto& s : files->skipped) saw_dir = saw_dir || s.find("/sub: a directory") != std::string::npos;
  EXPECT_TRUE(saw_dir);
}

TEST(SourceSnapshot, MissingDirectoryIsAnError) {
  auto files = scanSnapshot("/nonexistent/trimtab-snapshot");
  ASSERT_FALSE(files);
  EXPECT_EQ(files.error().code, ErrorCode::kNotFound);
  EXPECT_NE(files.error().message.find("/nonexistent/trimtab-snapshot"), std::string::npos);
}

TEST(SourceSnapshot, LoadObjectsNamesTheBadFile) {
  TempDir dir;
  write(dir.path() + "/bad.json", "{\"kind\": \"Pod\", \"metadata\": {\"name\": 5}}");
  auto files = scanSnapshot(dir.path());
  ASSERT_TRUE(files);
  ASSERT_EQ(files->json_files.size(), 1u);
  auto objects = loadObjects(*files);
  ASSERT_FALSE(objects);
  EXPECT_NE(objects.error().message.find("bad.json"), std::string::npos) << objects.error().message;
}

TEST(SourceSnapshot, ReadFileReportsMissingFile) {
  auto text = readFile("/nonexistent/file.om");
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace trimtab::source
