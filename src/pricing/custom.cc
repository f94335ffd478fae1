#include "pricing/custom.h"

#include <charconv>
#include <cmath>
#include <exception>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "pricing/defaults.h"
#include "pricing/internal/text.h"

namespace trimtab::pricing {

std::string_view splitPolicyName(SplitPolicy policy) {
  switch (policy) {
    case SplitPolicy::kOpenCost: return "opencost";
    case SplitPolicy::kAws9To1: return "aws-9to1";
  }
  return "opencost";
}

namespace {

// Walks the YAML tree; every error carries source:line: path: message.
class Parser {
 public:
  explicit Parser(std::string_view source) : source_(source) {}

  Result<CustomPricing> parseRoot(const YAML::Node& root) {
    CustomPricing out;
    out.source_name = source_;
    if (!root.IsDefined() || root.IsNull()) return out;  // empty file: all defaults
    if (!root.IsMap()) return error(root, 1, "(document)", "expected a mapping", describe(root));
    auto status = entries(root, "", [&](const std::string& key, const YAML::Node& value,
                                           const std::string& path) -> Status {
      if (key == "version") {
        auto v = number(value, path);
        if (!v) return fail(v.error());
        if (*v != 1) return error(value, current_key_line_, path, "expected 1 (the only schema version)", describe(value));
        return {};
      }
      if (key == "defaults") return parseDefaults(value, path, out.defaults);
      if (key == "network") return parseNetwork(value, path, out.network);
      if (key == "loadBalancer") return parseLoadBalancer(value, path, out);
      if (key == "split") return assign(split(value, path), out.split);
      if (key == "discount") return assign(fraction(value, path), out.discount);
      if (key == "negotiatedDiscount") return assign(fraction(value, path), out.negotiated_discount);
      if (key == "spotLabel") {
        auto s = string(value, path);
        if (!s) return fail(s.error());
        if (!out.spot_label) out.spot_label.emplace();
        out.spot_label->key = *s;
        return {};
      }
      if (key == "spotLabelValue") {
        auto s = string(value, path);
        if (!s) return fail(s.error());
        if (!out.spot_label) out.spot_label.emplace();
        out.spot_label->value = *s;
        return {};
      }
      if (key == "useCatalog") return assign(boolean(value, path), out.use_catalog);
      if (key == "rules") return parseRules(value, path, out.rules);
      if (key == "storageClasses") return parseStorageClasses(value, path, out.storage_classes);
      return unknownKey(value, path,
                        "version, defaults, network, loadBalancer, split, discount, "
                        "negotiatedDiscount, spotLabel, spotLabelValue, useCatalog, rules, "
                        "storageClasses");
    });
    if (!status) return fail(status.error());
    if (out.spot_label && out.spot_label->key.empty()) {
      return error(root, 1, "spotLabelValue", "expected spotLabel to be set as well", "");
    }
    return out;
  }

 private:
  using KeyFn = std::function<Status(const std::string&, const YAML::Node&, const std::string&)>;

  static int lineOf(const YAML::Node& node, int fallback) {
    if (node.IsDefined()) {
      YAML::Mark mark = node.Mark();
      if (mark.line >= 0) return mark.line + 1;
    }
    return fallback > 0 ? fallback : 1;
  }

  static std::string describe(const YAML::Node& node) {
    if (!node.IsDefined() || node.IsNull()) return "nothing";
    if (node.IsMap()) return "a mapping";
    if (node.IsSequence()) return "a sequence";
    std::string text = node.Scalar();
    if (text.size() > 40) text = text.substr(0, 40) + "...";
    return fmt::format("\"{}\"", text);
  }

  tl::unexpected<Error> error(const YAML::Node& node, int fallback_line, std::string_view path,
                              std::string_view expected, std::string_view got) const {
    // A null value's mark points past the key (often the next line): use the key's line.
    int line = (node.IsDefined() && !node.IsNull()) ? lineOf(node, fallback_line)
                                                    : (fallback_line > 0 ? fallback_line : 1);
    std::string message = fmt::format("{}:{}: {}: {}", source_, line, path, expected);
    if (!got.empty()) message += fmt::format(", got {}", got);
    return fail(ErrorCode::kParse, std::move(message));
  }

  template <typename T, typename U>
  static Status assign(Result<T> value, U& target) {
    if (!value) return fail(value.error());
    target = std::move(*value);
    return {};
  }

  static std::string join(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
  }

  // Calls fn for every entry of a mapping, rejecting non-mappings, non-scalar and duplicate keys.
  Status forEachKey(const YAML::Node& map, const std::string& path, const KeyFn& fn) {
    if (!map.IsMap()) {
      return error(map, 0, path.empty() ? "(document)" : path, "expected a mapping", describe(map));
    }
    std::set<std::string> seen;
    for (const auto& entry : map) {
      const YAML::Node& key_node = entry.first;
      if (!key_node.IsScalar()) {
        return error(key_node, lineOf(map, 0), path.empty() ? "(document)" : path,
                     "expected a string key", describe(key_node));
      }
      const std::string& key = key_node.Scalar();
      std::string child = join(path, key);
      if (!seen.insert(key).second) {
        return error(key_node, lineOf(map, 0), child, "duplicate key", "");
      }
      // Errors about a value without a mark of its own (null) use the key's line.
      const YAML::Node value = entry.second;
      int saved = current_key_line_;
      current_key_line_ = lineOf(key_node, saved);
      Status status = fn(key, value, child);
      current_key_line_ = saved;
      if (!status) return status;
    }
    return {};
  }

  Status unknownKey(const YAML::Node&, const std::string& path, std::string_view known) {
    return fail(ErrorCode::kParse, fmt::format("{}:{}: {}: unknown key (expected one of: {})",
                                               source_, current_key_line_, path, known));
  }

  Result<std::string> string(const YAML::Node& node, const std::string& path) const {
    if (!node.IsScalar()) return error(node, current_key_line_, path, "expected a string", describe(node));
    return node.Scalar();
  }

  Result<double> number(const YAML::Node& node, const std::string& path) const {
    if (!node.IsScalar()) {
      return error(node, current_key_line_, path, "expected a number", describe(node));
    }
    const std::string& text = node.Scalar();
    double value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
      return error(node, current_key_line_, path, "expected a number", describe(node));
    }
    if (!std::isfinite(value) || value < 0) {
      return error(node, current_key_line_, path, "expected a finite number >= 0", describe(node));
    }
    return value;
  }

  // A fraction in [0, 1): 0.15 or "15%".
  Result<double> fraction(const YAML::Node& node, const std::string& path) const {
    if (node.IsScalar() && !node.Scalar().empty() && node.Scalar().back() == '%') {
      YAML::Node number_node(node.Scalar().substr(0, node.Scalar().size() - 1));
      auto percent = number(number_node, path);
      if (!percent || *percent >= 100) {
        return error(node, current_key_line_, path,
                     "expected a fraction in [0, 1) or a percentage below 100%", describe(node));
      }
      return *percent / 100.0;
    }
    auto value = number(node, path);
    if (!value || *value >= 1) {
      return error(node, current_key_line_, path,
                   "expected a fraction in [0, 1) or a percentage below 100%", describe(node));
    }
    return *value;
  }

  Result<bool> boolean(const YAML::Node& node, const std::string& path) const {
    if (node.IsScalar()) {
      const std::string& s = node.Scalar();
      if (s == "true" || s == "True" || s == "TRUE") return true;
      if (s == "false" || s == "False" || s == "FALSE") return false;
    }
    return error(node, current_key_line_, path, "expected true or false", describe(node));
  }

  Result<SplitPolicy> split(const YAML::Node& node, const std::string& path) const {
    if (node.IsScalar()) {
      const std::string& s = node.Scalar();
      if (s == "opencost") return SplitPolicy::kOpenCost;
      if (s == "aws-9to1") return SplitPolicy::kAws9To1;
    }
    return error(node, current_key_line_, path, "expected \"opencost\" or \"aws-9to1\"",
                 describe(node));
  }

  Status entries(const YAML::Node& map, const std::string& path, const KeyFn& fn) {
    return forEachKey(map, path, fn);
  }

  Status parseDefaults(const YAML::Node& node, const std::string& path, CustomDefaults& out) {
    std::optional<double> per_month;
    Status status = entries(node, path, [&](const std::string& key, const YAML::Node& value,
                                            const std::string& child) -> Status {
      if (key == "cpuPerCoreHour") return assign(number(value, child), out.cpu_per_core_hour);
      if (key == "ramPerGiBHour") return assign(number(value, child), out.ram_per_gib_hour);
      if (key == "gpuPerGpuHour") return assign(number(value, child), out.gpu_per_gpu_hour);
      if (key == "spotCpuPerCoreHour") return assign(number(value, child), out.spot_cpu_per_core_hour);
      if (key == "spotRamPerGiBHour") return assign(number(value, child), out.spot_ram_per_gib_hour);
      if (key == "spotGpuPerGpuHour") return assign(number(value, child), out.spot_gpu_per_gpu_hour);
      if (key == "storagePerGiBHour") return assign(number(value, child), out.storage_per_gib_hour);
      if (key == "storagePerGiBMonth") return assign(number(value, child), per_month);
      if (key == "spotToOnDemandRatio") {
        auto v = number(value, child);
        if (!v) return fail(v.error());
        if (*v > 1) return error(value, current_key_line_, child, "expected a ratio in [0, 1]", describe(value));
        out.spot_to_on_demand_ratio = *v;
        return {};
      }
      return unknownKey(value, child,
                        "cpuPerCoreHour, ramPerGiBHour, gpuPerGpuHour, spotCpuPerCoreHour, "
                        "spotRamPerGiBHour, spotGpuPerGpuHour, storagePerGiBHour, "
                        "storagePerGiBMonth, spotToOnDemandRatio");
    });
    if (!status) return status;
    if (per_month) {
      if (out.storage_per_gib_hour) {
        return error(node, current_key_line_, join(path, "storagePerGiBMonth"),
                     "expected only one of storagePerGiBHour and storagePerGiBMonth", "");
      }
      out.storage_per_gib_hour = *per_month / kHoursPerMonth;
    }
    return {};
  }

  Status parseNetwork(const YAML::Node& node, const std::string& path, CustomNetwork& out) {
    return entries(node, path, [&](const std::string& key, const YAML::Node& value,
                                   const std::string& child) -> Status {
      if (key == "zoneEgressPerGiB") return assign(number(value, child), out.zone_egress_per_gib);
      if (key == "regionEgressPerGiB") return assign(number(value, child), out.region_egress_per_gib);
      if (key == "internetEgressPerGiB") {
        return assign(number(value, child), out.internet_egress_per_gib);
      }
      return unknownKey(value, child, "zoneEgressPerGiB, regionEgressPerGiB, internetEgressPerGiB");
    });
  }

  Status parseLoadBalancer(const YAML::Node& node, const std::string& path, CustomPricing& out) {
    return entries(node, path, [&](const std::string& key, const YAML::Node& value,
                                   const std::string& child) -> Status {
      if (key == "perHour") return assign(number(value, child), out.load_balancer_per_hour);
      return unknownKey(value, child, "perHour");
    });
  }

  Status parsePrices(const std::string& path, const std::string& key, const YAML::Node& value,
                     RatePrices& out, bool& handled) {
    handled = true;
    if (key == "nodePerHour") return assign(number(value, path), out.node_per_hour);
    if (key == "cpuPerCoreHour") return assign(number(value, path), out.cpu_per_core_hour);
    if (key == "ramPerGiBHour") return assign(number(value, path), out.ram_per_gib_hour);
    if (key == "gpuPerGpuHour") return assign(number(value, path), out.gpu_per_gpu_hour);
    handled = false;
    return {};
  }

  Status parseMatch(const YAML::Node& node, const std::string& path, RuleMatch& out) {
    return entries(node, path, [&](const std::string& key, const YAML::Node& value,
                                   const std::string& child) -> Status {
      if (key == "labels") {
        return entries(value, child, [&](const std::string& label, const YAML::Node& v,
                                         const std::string& label_path) -> Status {
          auto s = string(v, label_path);
          if (!s) return fail(s.error());
          out.labels.emplace_back(label, *s);
          return {};
        });
      }
      if (key == "instanceType") return assign(string(value, child), out.instance_type);
      if (key == "nodeName") return assign(string(value, child), out.node_name);
      if (key == "gpuModel") return assign(string(value, child), out.gpu_model);
      if (key == "provider") {
        auto s = string(value, child);
        if (!s) return fail(s.error());
        auto provider = parseProvider(*s);
        if (!provider) {
          return error(value, current_key_line_, child, "expected aws, gcp or azure", describe(value));
        }
        out.provider = *provider;
        return {};
      }
      if (key == "capacityType") {
        if (value.IsScalar() && value.Scalar() == "spot") {
          out.spot = true;
          return {};
        }
        if (value.IsScalar() && value.Scalar() == "on-demand") {
          out.spot = false;
          return {};
        }
        return error(value, current_key_line_, child, "expected \"spot\" or \"on-demand\"",
                     describe(value));
      }
      return unknownKey(value, child,
                        "labels, instanceType, nodeName, gpuModel, provider, capacityType");
    });
  }

  Status parseRule(const YAML::Node& node, const std::string& path, PricingRule& rule) {
    rule.line = lineOf(node, current_key_line_);
    bool has_match = false;
    Status status = entries(node, path, [&](const std::string& key, const YAML::Node& value,
                                            const std::string& child) -> Status {
      bool handled = false;
      Status prices = parsePrices(child, key, value, rule.prices, handled);
      if (handled) return prices;
      if (key == "name") return assign(string(value, child), rule.name);
      if (key == "match") {
        has_match = true;
        return parseMatch(value, child, rule.match);
      }
      if (key == "split") {
        auto s = split(value, child);
        if (!s) return fail(s.error());
        rule.split = *s;
        return {};
      }
      if (key == "applyDiscount") return assign(boolean(value, child), rule.apply_discount);
      if (key == "spot") {
        RatePrices spot;
        Status s = entries(value, child, [&](const std::string& k, const YAML::Node& v,
                                             const std::string& p) -> Status {
          bool ok = false;
          Status r = parsePrices(p, k, v, spot, ok);
          if (ok) return r;
          return unknownKey(v, p, "nodePerHour, cpuPerCoreHour, ramPerGiBHour, gpuPerGpuHour");
        });
        if (!s) return s;
        if (spot.empty()) {
          return error(value, current_key_line_, child, "expected at least one price", describe(value));
        }
        rule.spot_prices = spot;
        return {};
      }
      return unknownKey(value, child,
                        "name, match, nodePerHour, cpuPerCoreHour, ramPerGiBHour, gpuPerGpuHour, "
                        "spot, split, applyDiscount");
    });
    if (!status) return status;
    if (!has_match) {
      return error(node, rule.line, join(path, "match"),
                   "expected a match mapping (use match: {} to match every node)", "");
    }
    if (rule.prices.empty()) {
      return error(node, rule.line, path,
                   "expected a price (nodePerHour, cpuPerCoreHour, ramPerGiBHour or gpuPerGpuHour)",
                   "");
    }
    return {};
  }

  Status parseRules(const YAML::Node& node, const std::string& path, std::vector<PricingRule>& out) {
    if (!node.IsSequence()) {
      return error(node, current_key_line_, path, "expected a sequence of rules", describe(node));
    }
    for (std::size_t i = 0; i < node.size(); ++i) {
      std::string child = fmt::format("{}[{}]", path, i);
      PricingRule rule;
      Status status = parseRule(node[i], child, rule);
      if (!status) return status;
      out.push_back(std::move(rule));
    }
    return {};
  }

  Status parseStorageClasses(const YAML::Node& node, const std::string& path,
                             std::vector<StorageClassPrice>& out) {
    if (!node.IsSequence()) {
      return error(node, current_key_line_, path, "expected a sequence of storage classes",
                   describe(node));
    }
    for (std::size_t i = 0; i < node.size(); ++i) {
      std::string child = fmt::format("{}[{}]", path, i);
      const YAML::Node item = node[i];
      int item_line = lineOf(item, current_key_line_);
      std::optional<std::string> name;
      std::optional<double> per_hour, per_month;
      Status status = entries(item, child, [&](const std::string& key, const YAML::Node& value,
                                               const std::string& p) -> Status {
        if (key == "name") return assign(string(value, p), name);
        if (key == "perGiBHour") return assign(number(value, p), per_hour);
        if (key == "perGiBMonth") return assign(number(value, p), per_month);
        return unknownKey(value, p, "name, perGiBHour, perGiBMonth");
      });
      if (!status) return status;
      if (!name) return error(item, item_line, join(child, "name"), "expected a storage class name", "");
      if (per_hour.has_value() == per_month.has_value()) {
        return error(item, item_line, child, "expected exactly one of perGiBHour and perGiBMonth", "");
      }
      out.push_back({*name, per_hour ? *per_hour : *per_month / kHoursPerMonth});
    }
    return {};
  }

  std::string source_;
  int current_key_line_ = 1;
};

}  // namespace

Result<CustomPricing> parseCustomPricing(std::string_view yaml, std::string_view source_name) {
  // yaml-cpp reports malformed input by throwing; convert at this boundary.
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    return Parser(source_name).parseRoot(root);
  } catch (const YAML::Exception& e) {
    int line = e.mark.line >= 0 ? e.mark.line + 1 : 1;
    return fail(ErrorCode::kParse,
                fmt::format("{}:{}: (document): expected valid YAML: {}", source_name, line, e.msg));
  } catch (const std::exception& e) {
    return fail(ErrorCode::kParse,
                fmt::format("{}: (document): expected valid YAML: {}", source_name, e.what()));
  }
}

Result<CustomPricing> loadCustomPricing(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::kIo, fmt::format("{}: cannot open custom pricing file", path));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return fail(ErrorCode::kIo, fmt::format("{}: cannot read custom pricing file", path));
  return parseCustomPricing(text.str(), path);
}

}  // namespace trimtab::pricing
