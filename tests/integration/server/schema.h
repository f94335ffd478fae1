// A small OpenAPI 3.0 schema checker for tests: type (object, array, string, number, integer,
// boolean), nullable, required, properties, additionalProperties (schema or false), items,
// enum (strings) and $ref to #/components/schemas/<Name>. Reports every violation with its
// JSON path.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace trimtab::testing {

class SchemaChecker {
 public:
  explicit SchemaChecker(YAML::Node document) : doc_(std::move(document)) {}

  // Violations of `value` against components/schemas/<name>; empty = valid.
  std::vector<std::string> check(const nlohmann::json& value, const std::string& name) const {
    std::vector<std::string> errors;
    checkNode(value, doc_["components"]["schemas"][name], "$", errors, 0);
    return errors;
  }

  // The schema name a path's 200 application/json response refers to ("" if none).
  std::string responseSchema(const std::string& path) const {
    YAML::Node s = doc_["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
    if (!s || !s["$ref"]) return "";
    const std::string ref = s["$ref"].as<std::string>();
    return ref.substr(ref.rfind('/') + 1);
  }

 private:
  YAML::Node resolve(YAML::Node schema) const {
    while (schema && schema.IsMap() && schema["$ref"]) {
      const std::string ref = schema["$ref"].as<std::string>();
      schema = doc_["components"]["schemas"][ref.substr(ref.rfind('/') + 1)];
    }
    return schema;
  }

  void checkNode(const nlohmann::json& v, YAML::Node schema, const std::string& path,
                 std::vector<std::string>& errors, int depth) const {
    schema = resolve(schema);
    if (!schema || !schema.IsMap() || depth > 64) {
      if (!schema) errors.push_back(path + ": schema not found");
      return;
    }
    if (v.is_null()) {
      if (schema["nullable"] && schema["nullable"].as<bool>()) return;
      if (schema["type"]) errors.push_back(path + ": null where " + schema["type"].as<std::string>() + " expected");
      return;
    }
    if (schema["type"]) {
      const std::string type = schema["type"].as<std::string>();
      bool ok = true;
      if (type == "object") ok = v.is_object();
      else if (type == "array") ok = v.is_array();
      else if (type == "string") ok = v.is_string();
      else if (type == "number") ok = v.is_number();
      else if (type == "integer") ok = v.is_number_integer() || (v.is_number() && std::floor(v.get<double>()) == v.get<double>());
      else if (type == "boolean") ok = v.is_boolean();
      if (!ok) {
        errors.push_back(path + ": expected " + type + ", got " + v.type_name());
        return;
      }
    }
    if (schema["enum"] && v.is_string()) {
      bool found = false;
      for (const auto& e : schema["enum"]) found = found || e.as<std::string>() == v.get<std::string>();
      if (!found) errors.push_back(path + ": \"" + v.get<std::string>() + "\" not in enum");
    }
    if (v.is_object()) {
      if (schema["required"]) {
        for (const auto& r : schema["required"]) {
          if (!v.contains(r.as<std::string>())) errors.push_back(path + ": missing required " + r.as<std::string>());
        }
      }
      const YAML::Node props = schema["properties"];
      const YAML::Node extra = schema["additionalProperties"];
      for (const auto& [key, child] : v.items()) {
        if (props && props[key]) {
          checkNode(child, props[key], path + "." + key, errors, depth + 1);
        } else if (extra) {
          if (extra.IsScalar() && !extra.as<bool>()) {
            errors.push_back(path + ": unexpected property " + key);
          } else if (extra.IsMap()) {
            checkNode(child, extra, path + "." + key, errors, depth + 1);
          }
        }
      }
    }
    if (v.is_array() && schema["items"]) {
      for (std::size_t i = 0; i < v.size(); ++i) {
        checkNode(v[i], schema["items"], path + "[" + std::to_string(i) + "]", errors, depth + 1);
      }
    }
  }

  YAML::Node doc_;
};

}  // namespace trimtab::testing
