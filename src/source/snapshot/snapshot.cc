#include "source/snapshot/snapshot.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "model/decode.h"

namespace trimtab::source {

namespace {

constexpr std::size_t kProbeBytes = 4096;

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

struct Probe {
  std::string head, tail;  // first and last kProbeBytes (overlapping for small files)
};

Result<Probe> probeFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return fail(ErrorCode::kIo, fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  }
  Probe p;
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return fail(ErrorCode::kIo, fmt::format("{}: cannot stat", path));
  }
  auto readAt = [&](off_t offset, std::size_t n, std::string& out) -> bool {
    out.resize(n);
    std::size_t done = 0;
    while (done < n) {
      ssize_t r = ::pread(fd, out.data() + done, n - done, offset + static_cast<off_t>(done));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return false;
      if (r == 0) break;
      done += static_cast<std::size_t>(r);
    }
    out.resize(done);
    return true;
  };
  std::size_t size = static_cast<std::size_t>(st.st_size);
  bool ok = readAt(0, std::min(size, kProbeBytes), p.head);
  if (ok) {
    std::size_t tail_n = std::min(size, kProbeBytes);
    ok = readAt(static_cast<off_t>(size - tail_n), tail_n, p.tail);
  }
  ::close(fd);
  if (!ok) return fail(ErrorCode::kIo, fmt::format("{}: read failed", path));
  return p;
}

bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool looksLikeJson(const Probe& p) {
  auto it = std::find_if_not(p.head.begin(), p.head.end(), isSpace);
  if (it == p.head.end() || *it != '{') return false;
  return p.head.find("\"kind\"") != std::string::npos ||
         p.tail.find("\"kind\"") != std::string::npos;
}

bool looksLikeOpenMetrics(const Probe& p) {
  std::string_view head = p.head;
  bool start_ok = head.starts_with("# TYPE ") || head.starts_with("# HELP ") ||
                  head.starts_with("# UNIT ") || head.starts_with("# EOF");
  if (!start_ok && !head.empty()) {
    char c = head[0];
    start_ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
  }
  if (!start_ok) return false;
  std::string_view tail = p.tail;
  while (!tail.empty() && isSpace(tail.back())) tail.remove_suffix(1);
  if (!endsWith(tail, "# EOF")) return false;
  // "# EOF" must start a line.
  return tail.size() == 5 || tail[tail.size() - 6] == '\n';
}

}  // namespace

Result<std::string> readFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return fail(errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return fail(ErrorCode::kIo, fmt::format("{}: cannot stat", path));
  }
  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t r = ::read(fd, text.data() + done, text.size() - done);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      int err = errno;
      ::close(fd);
      return fail(ErrorCode::kIo, fmt::format("{}: read failed: {}", path, std::strerror(err)));
    }
    if (r == 0) break;  // the file shrank while reading
    done += static_cast<std::size_t>(r);
  }
  text.resize(done);
  ::close(fd);
  return text;
}

Result<SnapshotFiles> scanSnapshot(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    return fail(errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                fmt::format("{}: cannot open snapshot directory: {}", dir, std::strerror(errno)));
  }
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.empty() || name[0] == '.') continue;
    names.push_back(std::move(name));
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());

  SnapshotFiles files;
  for (const std::string& name : names) {
    std::string path = dir.ends_with('/') ? dir + name : dir + "/" + name;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      files.skipped.push_back(path + ": cannot stat: " + std::strerror(errno));
      continue;
    }
    if (S_ISDIR(st.st_mode)) {
      files.skipped.push_back(path + ": a directory (snapshots are not recursive)");
      continue;
    }
    if (!S_ISREG(st.st_mode)) {
      files.skipped.push_back(path + ": not a regular file");
      continue;
    }
    if (endsWith(name, ".yaml") || endsWith(name, ".yml")) {
      files.pricing_files.push_back(path);
      continue;
    }
    auto probe = probeFile(path);
    if (!probe) {
      files.skipped.push_back(probe.error().message);
      continue;
    }
    if (looksLikeJson(*probe)) {
      files.json_files.push_back(path);
    } else if (looksLikeOpenMetrics(*probe)) {
      files.openmetrics_files.push_back(path);
    } else if (st.st_size == 0) {
      files.skipped.push_back(path + ": empty file");
    } else {
      files.skipped.push_back(
          path + ": not Kubernetes JSON, OpenMetrics text ending in '# EOF', or pricing YAML");
    }
  }
  return files;
}

Result<model::ObjectSet> loadObjects(const SnapshotFiles& files, std::vector<std::string>* warnings) {
  model::ObjectSet all;
  for (const std::string& path : files.json_files) {
    auto text = readFile(path);
    if (!text) return fail(text.error());
    auto decoded = model::decodeObjects(*text, path);
    if (!decoded) return fail(decoded.error());
    if (warnings != nullptr) {
      for (auto& w : decoded->warnings) warnings->push_back(std::move(w));
    }
    all.merge(std::move(decoded->objects));
  }
  return all;
}

}  // namespace trimtab::source
