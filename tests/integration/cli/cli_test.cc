// The real binary, end to end: demo → snapshot → ingest → allocation/assets, the golden OpenCost
// JSON, exit codes and one-line errors. Regenerate the golden file (and review the diff) with
//   TRIMTAB_UPDATE_GOLDEN=1 ctest -R CliGolden
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <fmt/format.h>

namespace {

namespace fs = std::filesystem;

struct CommandResult {
  int exit_code = -1;
  std::string out, err;
};

// Runs the trimtab binary with args (shell-quoted by the caller), capturing stdout and stderr.
CommandResult trimtab(const std::string& args, const std::string& env = "") {
  static int counter = 0;
  const fs::path dir = fs::temp_directory_path() / fmt::format("trimtab-cli-{}-{}", ::getpid(), counter++);
  fs::create_directories(dir);
  const std::string cmd = fmt::format("{} {} {} >{} 2>{} </dev/null", env, TRIMTAB_BINARY, args,
                                      (dir / "out").string(), (dir / "err").string());
  CommandResult r;
  const int status = std::system(cmd.c_str());
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  auto slurp = [](const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  r.out = slurp(dir / "out");
  r.err = slurp(dir / "err");
  fs::remove_all(dir);
  return r;
}

// One small demo shared by the tests: 4 nodes, 1 day, fixed seed and end.
class CliDemo : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = (fs::temp_directory_path() / fmt::format("trimtab-cli-demo-{}", ::getpid())).string();
    fs::remove_all(dir_);
    const CommandResult r = trimtab(fmt::format("demo --nodes 4 --days 1 --seed 7 --end {} --out {}", kEnd, dir_));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    demo_output_ = r.out;
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }
  static std::string store() { return dir_ + "/store.db"; }
  static std::string window() { return fmt::format("{},{}", kEnd - 86400, kEnd); }

  static constexpr long long kEnd = 1767225600;  // 2026-01-01T00:00:00Z
  static inline std::string dir_;
  static inline std::string demo_output_;
};

TEST_F(CliDemo, DemoPrintsNamespacesWithIdleAndEfficiency) {
  EXPECT_NE(demo_output_.find("NAME"), std::string::npos);
  EXPECT_NE(demo_output_.find("CPU EFF"), std::string::npos);
  EXPECT_NE(demo_output_.find("__idle__"), std::string::npos);
  EXPECT_NE(demo_output_.find("kube-system"), std::string::npos);
  EXPECT_NE(demo_output_.find("ml-training"), std::string::npos);
  EXPECT_NE(demo_output_.find("total"), std::string::npos);
  // Piped: no progress bar escape sequences.
  EXPECT_EQ(demo_output_.find('\r'), std::string::npos);
}

TEST_F(CliDemo, GoldenOpenCostJsonByNamespace) {
  const CommandResult r = trimtab(fmt::format("allocation --store {} --window {} --aggregate namespace "
                                    "--include-idle --step 12h --format json", store(), window()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const fs::path golden = fs::path(TRIMTAB_SOURCE_DIR) / "tests/data/golden/demo-namespace-12h.json";
  if (std::getenv("TRIMTAB_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(golden) << r.out;
    GTEST_SKIP() << "golden file rewritten: " << golden;
  }
  std::ifstream in(golden);
  ASSERT_TRUE(in) << "missing golden file " << golden << " (TRIMTAB_UPDATE_GOLDEN=1 writes it)";
  std::stringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(r.out, expected.str()) << "allocation JSON differs from " << golden;
  EXPECT_EQ(r.out.rfind(R"({"code":200,"status":"success","data":[{)", 0), 0u);
}

TEST_F(CliDemo, CsvAndTableAgreeOnTheTotal) {
  const CommandResult table = trimtab(fmt::format("allocation --store {} --window {} --aggregate team --include-idle",
                                        store(), window()));
  ASSERT_EQ(table.exit_code, 0) << table.err;
  const CommandResult csv = trimtab(fmt::format("allocation --store {} --window {} --aggregate team --include-idle "
                                      "--format csv", store(), window()));
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_GT(std::count(csv.out.begin(), csv.out.end(), '\n'), 3);
  EXPECT_NE(table.out.find("total"), std::string::npos);
}

TEST_F(CliDemo, AssetsNameTheirPriceSource) {
  const CommandResult r = trimtab(fmt::format("assets --store {} --window {}", store(), window()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("catalog:aws:"), std::string::npos) << r.out;
  const CommandResult json = trimtab(fmt::format("assets --store {} --window {} --format json", store(), window()));
  ASSERT_EQ(json.exit_code, 0);
  EXPECT_NE(json.out.find("\"priceSource\""), std::string::npos);
  const CommandResult disks = trimtab(fmt::format("assets --store {} --window {} --filter "
                                                  "'assetType:\"Disk\"'", store(), window()));
  ASSERT_EQ(disks.exit_code, 0) << disks.err;
  EXPECT_NE(disks.out.find("Disk"), std::string::npos);
  EXPECT_EQ(disks.out.find("Node"), std::string::npos) << disks.out;
}

TEST_F(CliDemo, ReingestingTheDemoSnapshotChangesNothing) {
  const CommandResult r = trimtab(fmt::format("ingest {}/snapshot --store {} --cluster demo", dir_, store()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("(0 written,"), std::string::npos) << r.err;
}

TEST_F(CliDemo, BadInputIsOneLineAndANonZeroExit) {
  struct Case {
    std::string args;
    int exit_code;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"allocation --store " + store() + " --window 7x", 2, "--window"},
      {"allocation --store " + store() + " --window " + window() + " --aggregate nope", 2, "nope"},
      {"allocation --store " + store() + " --window " + window() + " --filter 'namespace=\"x\"'", 2,
       "--filter"},
      {"allocation --store " + store() + " --window " + window() + " --step 90m", 2, "step"},
      {"allocation --store " + store() + " --window " + window() + " --format xml", 2, "xml"},
      {"allocation --store /nonexistent/store.db --window 7d", 1, "/nonexistent/store.db"},
      {"allocation --window 7d", 2, "--store"},
      {"allocation --store " + store() + " --window 7d --bogus", 2, "--bogus"},
      {"ingest /nonexistent-dir --store " + dir_ + "/other.db", 1, "/nonexistent-dir"},
      {"frobnicate", 2, "frobnicate"},
  };
  for (const Case& c : cases) {
    const CommandResult r = trimtab(c.args);
    EXPECT_EQ(r.exit_code, c.exit_code) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << c.args << "\n" << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << c.args << "\n" << r.err;
    EXPECT_EQ(r.err.rfind("trimtab: ", 0), 0u) << r.err;
  }
}

}  // namespace

namespace {

TEST(CliDemoOut, RefusesToClearADirectoryItDidNotMake) {
  const fs::path dir = fs::temp_directory_path() / fmt::format("trimtab-cli-foreign-{}", ::getpid());
  fs::remove_all(dir);
  fs::create_directories(dir / "snapshot");
  std::ofstream(dir / "snapshot" / "precious.json") << "{}";
  const CommandResult r = trimtab(fmt::format("demo --nodes 4 --days 1 --out {}", dir.string()));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("choose another --out"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(dir / "snapshot" / "precious.json"));
  fs::remove_all(dir);
}

TEST(CliHelp, HelpForOneCommandPrintsOnlyItsEntries) {
  const CommandResult all = trimtab("help");
  EXPECT_EQ(all.exit_code, 0);
  for (const char* command : {"backfill", "agent", "plan", "recommend", "allocation"}) {
    EXPECT_NE(all.out.find(std::string("  trimtab ") + command + " "), std::string::npos) << command;
    const CommandResult one = trimtab(std::string("help ") + command);
    EXPECT_EQ(one.exit_code, 0) << command;
    EXPECT_EQ(one.out.rfind(std::string("  trimtab ") + command + " ", 0), 0u) << one.out;
    EXPECT_LT(one.out.size(), all.out.size() / 2) << command;
    std::istringstream lines(one.out);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("  trimtab ", 0) == 0) {
        EXPECT_EQ(line.rfind(std::string("  trimtab ") + command, 0), 0u) << line;
      }
    }
  }
  const CommandResult unknown = trimtab("help nosuchcommand");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("unknown command \"nosuchcommand\""), std::string::npos) << unknown.err;
}

}  // namespace
