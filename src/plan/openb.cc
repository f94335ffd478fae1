#include "plan/openb.h"

#include <fmt/format.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <unordered_set>

namespace trimtab::plan {

namespace {

constexpr std::int64_t kMaxQuantity = std::int64_t{1} << 40;

struct CsvLine {
  std::size_t number = 0;  // 1-based
  std::vector<std::string_view> fields;
};

// Splits text into lines of comma-separated fields. Quoted fields are not part of the format and
// are rejected by the caller's field checks (a quote is never a valid number or name).
std::vector<CsvLine> splitCsv(std::string_view text) {
  std::vector<CsvLine> lines;
  std::size_t pos = 0;
  std::size_t number = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ++number;
    pos = end + 1;
    if (line.empty()) continue;
    CsvLine out;
    out.number = number;
    std::size_t start = 0;
    while (true) {
      std::size_t comma = line.find(',', start);
      if (comma == std::string_view::npos) {
        out.fields.push_back(line.substr(start));
        break;
      }
      out.fields.push_back(line.substr(start, comma - start));
      start = comma + 1;
    }
    lines.push_back(std::move(out));
  }
  return lines;
}

tl::unexpected<Error> lineError(std::string_view source, std::size_t line, std::string_view field,
                                std::string_view value, std::string_view what) {
  return fail(ErrorCode::kParse,
              fmt::format("{}:{}: field \"{}\": \"{}\": {}", source, line, field, value, what));
}

Result<std::int64_t> parseCount(std::string_view source, const CsvLine& line,
                                std::string_view field, std::string_view value, std::int64_t max) {
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (value.empty() || ec != std::errc() || ptr != value.data() + value.size() || v < 0) {
    return lineError(source, line.number, field, value, "not a non-negative integer");
  }
  if (v > max) {
    return lineError(source, line.number, field, value, fmt::format("larger than {}", max));
  }
  return v;
}

// Column index of each wanted name in the header; -1 when absent.
std::vector<int> columnIndexes(const CsvLine& header, const std::vector<std::string_view>& names) {
  std::vector<int> idx(names.size(), -1);
  for (std::size_t i = 0; i < header.fields.size(); ++i) {
    for (std::size_t j = 0; j < names.size(); ++j) {
      if (header.fields[i] == names[j] && idx[j] < 0) idx[j] = static_cast<int>(i);
    }
  }
  return idx;
}

Status checkHeader(std::string_view source, const std::vector<CsvLine>& lines,
                   const std::vector<int>& idx, const std::vector<std::string_view>& names,
                   std::size_t required) {
  if (lines.empty()) {
    return fail(ErrorCode::kParse, fmt::format("{}: empty file, expected a header line", source));
  }
  for (std::size_t j = 0; j < required; ++j) {
    if (idx[j] < 0) {
      return fail(ErrorCode::kParse, fmt::format("{}:{}: header has no column \"{}\"", source,
                                                 lines[0].number, names[j]));
    }
  }
  return {};
}

bool validName(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c == '"' || c == '|' || static_cast<unsigned char>(c) < 0x20) return false;
  }
  return true;
}

}  // namespace

Result<std::string> readTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::kIo, fmt::format("{}: cannot open", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return fail(ErrorCode::kIo, fmt::format("{}: read error", path));
  return ss.str();
}

Result<Cluster> parseOpenbNodes(std::string_view text, std::string_view source) {
  const std::vector<std::string_view> names = {"sn", "cpu_milli", "memory_mib", "gpu", "model"};
  auto lines = splitCsv(text);
  std::vector<int> idx = lines.empty() ? std::vector<int>{} : columnIndexes(lines[0], names);
  if (auto st = checkHeader(source, lines, idx, names, 4); !st) return fail(st.error());
  Cluster cluster;
  std::unordered_set<std::string> seen;
  for (std::size_t li = 1; li < lines.size(); ++li) {
    const CsvLine& line = lines[li];
    auto field = [&](std::size_t j) -> std::string_view {
      const int i = idx[j];
      return i >= 0 && static_cast<std::size_t>(i) < line.fields.size()
                 ? line.fields[static_cast<std::size_t>(i)]
                 : std::string_view{};
    };
    if (line.fields.size() < lines[0].fields.size()) {
      return fail(ErrorCode::kParse,
                  fmt::format("{}:{}: {} fields, header has {}", source, line.number,
                              line.fields.size(), lines[0].fields.size()));
    }
    NodeSpec node;
    node.name = std::string(field(0));
    if (!validName(node.name))
      return lineError(source, line.number, "sn", node.name, "not a node name");
    if (!seen.insert(node.name).second) {
      return lineError(source, line.number, "sn", node.name, "duplicate node name");
    }
    auto cpu = parseCount(source, line, "cpu_milli", field(1), kMaxQuantity);
    if (!cpu) return fail(cpu.error());
    auto mem = parseCount(source, line, "memory_mib", field(2), kMaxQuantity);
    if (!mem) return fail(mem.error());
    auto gpu = parseCount(source, line, "gpu", field(3), kMaxGpusPerNode);
    if (!gpu) return fail(gpu.error());
    node.cpu_milli = *cpu;
    node.memory_mib = *mem;
    node.gpu_count = static_cast<int>(*gpu);
    std::string_view model = idx[4] >= 0 ? field(4) : std::string_view{};
    if (node.gpu_count > 0) {
      if (!validName(model)) {
        return lineError(source, line.number, "model", model, "a GPU node needs a GPU model name");
      }
      auto id = cluster.gpu_models.intern(model);
      if (!id) return fail(id.error().withContext(fmt::format("{}:{}", source, line.number)));
      node.gpu_model = *id;
    }
    node.labels["kubernetes.io/hostname"] = node.name;
    cluster.nodes.push_back(std::move(node));
  }
  return cluster;
}

Result<Cluster> readOpenbNodes(const std::string& path) {
  auto text = readTextFile(path);
  if (!text) return fail(text.error());
  return parseOpenbNodes(*text, path);
}

namespace {

Result<std::vector<PodSpec>> parsePods(std::string_view text, std::string_view source,
                                       const GpuModels& models, GpuModels* add_models) {
  const std::vector<std::string_view> names = {"name",    "cpu_milli", "memory_mib",
                                               "num_gpu", "gpu_milli", "gpu_spec"};
  auto lines = splitCsv(text);
  std::vector<int> idx = lines.empty() ? std::vector<int>{} : columnIndexes(lines[0], names);
  if (auto st = checkHeader(source, lines, idx, names, 5); !st) return fail(st.error());
  std::vector<PodSpec> pods;
  pods.reserve(lines.size());
  std::unordered_set<std::string> seen;
  for (std::size_t li = 1; li < lines.size(); ++li) {
    const CsvLine& line = lines[li];
    if (line.fields.size() != lines[0].fields.size()) {
      return fail(ErrorCode::kParse,
                  fmt::format("{}:{}: {} fields, header has {}", source, line.number,
                              line.fields.size(), lines[0].fields.size()));
    }
    auto field = [&](std::size_t j) -> std::string_view {
      return idx[j] >= 0 ? line.fields[static_cast<std::size_t>(idx[j])] : std::string_view{};
    };
    PodSpec pod;
    pod.name = std::string(field(0));
    if (!validName(pod.name))
      return lineError(source, line.number, "name", pod.name, "not a pod name");
    if (!seen.insert(pod.name).second) {
      return lineError(source, line.number, "name", pod.name, "duplicate pod name");
    }
    auto cpu = parseCount(source, line, "cpu_milli", field(1), kMaxQuantity);
    if (!cpu) return fail(cpu.error());
    auto mem = parseCount(source, line, "memory_mib", field(2), kMaxQuantity);
    if (!mem) return fail(mem.error());
    auto num = parseCount(source, line, "num_gpu", field(3), kMaxGpusPerNode);
    if (!num) return fail(num.error());
    auto milli = parseCount(source, line, "gpu_milli", field(4), kMilliPerGpu);
    if (!milli) return fail(milli.error());
    pod.cpu_milli = *cpu;
    pod.memory_mib = *mem;
    pod.num_gpu = static_cast<int>(*num);
    pod.gpu_milli = static_cast<int>(*milli);
    if (pod.num_gpu == 0 && pod.gpu_milli != 0) {
      return lineError(source, line.number, "gpu_milli", field(4), "non-zero with num_gpu 0");
    }
    if (pod.num_gpu > 1 && pod.gpu_milli != kMilliPerGpu) {
      return lineError(source, line.number, "gpu_milli", field(4),
                       "a multi-GPU pod must request whole GPUs (1000)");
    }
    if (pod.num_gpu > 0 && pod.gpu_milli == 0) pod.num_gpu = 0;  // no GPU actually requested
    std::string_view spec = field(5);
    if (!spec.empty()) {
      pod.gpu_spec = std::string(spec);
      std::size_t start = 0;
      while (true) {
        std::size_t bar = spec.find('|', start);
        std::string_view model =
            spec.substr(start, bar == std::string_view::npos ? spec.npos : bar - start);
        auto id = models.find(model);
        if (!id && add_models != nullptr && validName(model)) {
          auto added = add_models->intern(model);
          if (!added)
            return fail(added.error().withContext(fmt::format("{}:{}", source, line.number)));
          id = *added;
        }
        if (!id) {
          return lineError(source, line.number, "gpu_spec", spec,
                           fmt::format("unknown GPU model \"{}\" (no node carries it)", model));
        }
        pod.gpu_model_mask |= std::uint64_t{1} << *id;
        if (bar == std::string_view::npos) break;
        start = bar + 1;
      }
    }
    pods.push_back(std::move(pod));
  }
  return pods;
}

}  // namespace

Result<std::vector<PodSpec>> parseOpenbPods(std::string_view text, std::string_view source,
                                            const GpuModels& models) {
  return parsePods(text, source, models, nullptr);
}

Result<std::vector<PodSpec>> readOpenbPods(const std::string& path, const GpuModels& models) {
  auto text = readTextFile(path);
  if (!text) return fail(text.error());
  return parsePods(*text, path, models, nullptr);
}

Result<std::vector<PodSpec>> readOpenbPodsAddingModels(const std::string& path, GpuModels& models) {
  auto text = readTextFile(path);
  if (!text) return fail(text.error());
  return parsePods(*text, path, models, &models);
}

}  // namespace trimtab::plan
