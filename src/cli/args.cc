#include "cli/args.h"

#include <charconv>

#include <fmt/format.h>

namespace trimtab::cli {

Result<Args> Args::parse(const std::string& command, const std::vector<std::string>& argv,
                         const std::set<std::string>& value_flags,
                         const std::set<std::string>& bool_flags) {
  Args a;
  a.command_ = command;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (arg.size() < 3 || !arg.starts_with("--")) {
      a.positional_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> inline_value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (value_flags.count(name)) {
      if (inline_value) {
        a.values_[name] = *inline_value;
      } else if (i + 1 < argv.size()) {
        a.values_[name] = argv[++i];
      } else {
        return fail(ErrorCode::kInvalidArgument,
                    fmt::format("{}: --{} needs a value", command, name));
      }
    } else if (bool_flags.count(name)) {
      if (!inline_value || *inline_value == "true" || *inline_value == "1") {
        a.bools_.insert(name);
      } else if (*inline_value != "false" && *inline_value != "0") {
        return fail(ErrorCode::kInvalidArgument,
                    fmt::format("{}: --{}={}: expected true or false", command, name,
                                *inline_value));
      }
    } else {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("{}: unknown option --{} (see `trimtab help {}`)", command, name,
                              command));
    }
  }
  return a;
}

std::optional<std::string> Args::value(const std::string& flag) const {
  auto it = values_.find(flag);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string Args::valueOr(const std::string& flag, const std::string& fallback) const {
  return value(flag).value_or(fallback);
}

bool Args::flag(const std::string& name) const { return bools_.count(name) > 0; }

Result<long long> Args::integer(const std::string& flag, long long fallback, long long min,
                                long long max) const {
  auto v = value(flag);
  if (!v) return fallback;
  long long out = 0;
  auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || ptr != v->data() + v->size() || out < min || out > max) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("{}: --{} \"{}\": expected an integer from {} to {}", command_, flag,
                            *v, min, max));
  }
  return out;
}

}  // namespace trimtab::cli
