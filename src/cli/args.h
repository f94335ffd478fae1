// A small argv parser: positional arguments and --flag / --flag=value / --flag value options.
// Unknown flags are errors naming the flag and the command.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "model/error.h"

namespace trimtab::cli {

class Args {
 public:
  // value_flags take a value; bool_flags do not (but accept =true/=false).
  static Result<Args> parse(const std::string& command, const std::vector<std::string>& argv,
                            const std::set<std::string>& value_flags,
                            const std::set<std::string>& bool_flags);

  std::optional<std::string> value(const std::string& flag) const;
  std::string valueOr(const std::string& flag, const std::string& fallback) const;
  bool flag(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }
  Result<long long> integer(const std::string& flag, long long fallback, long long min,
                            long long max) const;

 private:
  std::string command_;
  std::map<std::string, std::string> values_;
  std::set<std::string> bools_;
  std::vector<std::string> positional_;
};

}  // namespace trimtab::cli
