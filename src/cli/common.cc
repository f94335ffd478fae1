#include "cli/common.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

namespace trimtab::cli {

void printError(const Error& e) { std::fprintf(stderr, "trimtab: %s\n", e.message.c_str()); }

int exitCodeFor(const Error& e) {
  return e.code == ErrorCode::kInvalidArgument ? kExitUsage : kExitError;
}

std::vector<std::string> splitList(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    const std::size_t comma = s.find(',', start);
    std::string item = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

UnixSeconds nowSeconds() {
  if (const char* env = std::getenv("TRIMTAB_NOW")) return std::atoll(env);
  return SystemClock::instance().nowSeconds();
}

std::string money(double v) { return fmt::format("{:.2f}", v); }
std::string percent(double v) { return fmt::format("{:.1f}%", v * 100); }

void printTable(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                const std::vector<std::string>* footer) {
  std::vector<std::size_t> width(header.size(), 0);
  auto measure = [&](const std::vector<std::string>& r) {
    for (std::size_t i = 0; i < r.size() && i < width.size(); ++i) width[i] = std::max(width[i], r[i].size());
  };
  measure(header);
  for (const auto& r : rows) measure(r);
  if (footer) measure(*footer);
  auto print = [&](const std::vector<std::string>& r) {
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i) {
      if (i == 0) {
        line += fmt::format("{:<{}}", r[i], width[i]);
      } else {
        line += fmt::format("  {:>{}}", r[i], width[i]);
      }
    }
    std::puts(line.c_str());
  };
  print(header);
  std::size_t total = 0;
  for (std::size_t w : width) total += w + 2;
  std::puts(std::string(total - 2, '-').c_str());
  for (const auto& r : rows) print(r);
  if (footer) {
    std::puts(std::string(total - 2, '-').c_str());
    print(*footer);
  }
}

Result<std::unique_ptr<store::Store>> openStore(const Args& args, store::OpenMode mode) {
  auto path = args.value("store");
  if (!path) return fail(ErrorCode::kInvalidArgument, "--store PATH is required");
  return store::openSqliteStore(*path, mode);
}

cost::Window alignToHours(cost::Window w) {
  w.start = w.start - ((w.start % 3600) + 3600) % 3600;
  w.end = w.end + (3600 - ((w.end % 3600) + 3600) % 3600) % 3600;
  return w;
}

Result<cost::Window> windowFromArgs(const Args& args) {
  auto text = args.value("window");
  if (!text) return fail(ErrorCode::kInvalidArgument, "--window is required (e.g. --window 7d)");
  auto w = cost::parseWindow(*text, nowSeconds());
  if (!w) return fail(w.error().withContext("--window"));
  return alignToHours(*w);
}

std::optional<int> windowAndStore(const Args& args, cost::Window& window,
                                  std::unique_ptr<store::Store>& store) {
  auto w = windowFromArgs(args);
  if (!w) {
    printError(w.error());
    return kExitUsage;
  }
  auto opened = openStore(args, store::OpenMode::kReadOnly);
  if (!opened) {
    printError(opened.error());
    return exitCodeFor(opened.error());
  }
  window = *w;
  store = std::move(*opened);
  return std::nullopt;
}

}  // namespace trimtab::cli
