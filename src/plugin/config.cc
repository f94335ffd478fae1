#include "plugin/config.h"
#include "model/json_text.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <filesystem>

namespace trimtab::plugin {

using model::appendJsonString;

namespace {

bool isJsonNumber(const std::string& s) {
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && end == s.data() + s.size() && std::isfinite(v) && !s.empty() &&
         s[0] != '+' && !(s.size() > 1 && s[0] == '0' && s[1] != '.');
}

void toJson(std::string& out, const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      out += '{';
      bool first = true;
      for (const auto& kv : node) {
        if (!first) out += ',';
        first = false;
        appendJsonString(out, kv.first.Scalar());
        out += ':';
        toJson(out, kv.second);
      }
      out += '}';
      break;
    }
    case YAML::NodeType::Sequence: {
      out += '[';
      for (std::size_t i = 0; i < node.size(); ++i) {
        if (i) out += ',';
        toJson(out, node[i]);
      }
      out += ']';
      break;
    }
    case YAML::NodeType::Scalar: {
      const std::string& s = node.Scalar();
      const bool plain = node.Tag() == "?";  // quoted scalars are tagged "!"
      if (plain && (s == "true" || s == "false" || s == "null" || isJsonNumber(s))) {
        out += s;
      } else if (plain && s == "~") {
        out += "null";
      } else {
        appendJsonString(out, s);
      }
      break;
    }
    default:
      out += "null";
  }
}

}  // namespace

Result<std::vector<PluginConfig>> parsePluginsConfig(std::string_view yaml_text,
                                                     std::string_view what,
                                                     const std::string& base_dir) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    return fail(ErrorCode::kParse, fmt::format("{}: not YAML: {}", what, e.what()));
  }
  std::vector<PluginConfig> out;
  if (!root.IsMap() || !root["plugins"]) return out;
  const YAML::Node plugins = root["plugins"];
  if (!plugins.IsSequence())
    return fail(ErrorCode::kParse, fmt::format("{}: plugins: expected a list", what));
  for (std::size_t i = 0; i < plugins.size(); ++i) {
    const YAML::Node entry = plugins[i];
    const std::string where = fmt::format("{}: plugins[{}]", what, i);
    if (!entry.IsMap()) return fail(ErrorCode::kParse, where + ": expected a mapping");
    auto scalar = [&](const char* key) -> std::string {
      const YAML::Node n = entry[key];
      return n && n.IsScalar() ? n.Scalar() : std::string();
    };
    PluginConfig c;
    c.path = scalar("path");
    if (c.path.empty()) return fail(ErrorCode::kParse, where + ".path: required");
    if (std::filesystem::path(c.path).is_relative() && !base_dir.empty()) {
      c.path = (std::filesystem::path(base_dir) / c.path).string();
    }
    auto hook = parseHook(scalar("hook"));
    if (!hook) return fail(hook.error().withContext(where + ".hook"));
    c.hook = *hook;
    c.name = scalar("name");
    if (c.name.empty()) c.name = std::filesystem::path(c.path).stem().string();
    c.sha256 = scalar("sha256");
    if (const YAML::Node s = entry["settings"]; s) {
      if (!s.IsMap()) return fail(ErrorCode::kParse, where + ".settings: expected a mapping");
      c.settings_json.clear();
      toJson(c.settings_json, s);
    } else if (!scalar("settingsJson").empty()) {
      c.settings_json = scalar("settingsJson");
    }
    if (const YAML::Node l = entry["limits"]; l) {
      if (!l.IsMap()) return fail(ErrorCode::kParse, where + ".limits: expected a mapping");
      for (const auto& kv : l) {
        const std::string key = kv.first.Scalar();
        long long v = 0;
        const std::string text = kv.second.IsScalar() ? kv.second.Scalar() : "";
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec != std::errc() || end != text.data() + text.size() || v <= 0) {
          return fail(
              ErrorCode::kParse,
              fmt::format("{}.limits.{}: \"{}\": expected a positive integer", where, key, text));
        }
        const auto u = static_cast<std::size_t>(v);
        if (key == "memoryMiB") {
          if (v > kMaxMemoryPagesCeiling / 16) {
            return fail(ErrorCode::kParse,
                        fmt::format("{}.limits.memoryMiB: {} above the {} MiB ceiling", where, v,
                                    kMaxMemoryPagesCeiling / 16));
          }
          c.limits.memory_pages = static_cast<std::uint32_t>(v * 16);
        } else if (key == "timeoutMs") {
          c.limits.call_timeout_ms = v;
        } else if (key == "maxInputMiB") {
          c.limits.max_input_bytes = u << 20;
        } else if (key == "maxOutputMiB") {
          c.limits.max_output_bytes = u << 20;
        } else if (key == "maxModuleMiB") {
          c.limits.max_module_bytes = u << 20;
        } else if (key == "batchItems") {
          c.limits.batch_items = u;
        } else if (key == "instances") {
          if (v > 64) {
            return fail(ErrorCode::kParse,
                        fmt::format("{}.limits.instances: {}: expected 1..64", where, v));
          }
          c.limits.instances = u;
        } else if (key == "maxConsecutiveFailures") {
          c.limits.max_consecutive_failures = static_cast<int>(std::min<long long>(v, 1 << 30));
        } else {
          return fail(ErrorCode::kParse, fmt::format("{}.limits.{}: unknown limit", where, key));
        }
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace trimtab::plugin
