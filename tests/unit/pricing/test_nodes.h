// Builders for model::Node values in pricing tests.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>

#include "model/objects.h"

namespace trimtab::pricing::testing {

constexpr std::int64_t kGiB = std::int64_t{1} << 30;

class NodeBuilder {
 public:
  explicit NodeBuilder(std::string name) { node_.meta.name = std::move(name); }

  NodeBuilder& label(std::string key, std::string value) {
    auto& labels = node_.meta.labels;
    labels.emplace_back(std::move(key), std::move(value));
    std::sort(labels.begin(), labels.end());
    return *this;
  }
  NodeBuilder& instanceType(std::string type) {
    return label("node.kubernetes.io/instance-type", std::move(type));
  }
  NodeBuilder& region(std::string region) {
    return label("topology.kubernetes.io/region", std::move(region));
  }
  NodeBuilder& providerId(std::string id) {
    node_.provider_id = std::move(id);
    return *this;
  }
  NodeBuilder& capacity(std::int64_t millicores, std::int64_t memory_bytes, std::int64_t gpus = 0) {
    node_.capacity.cpu_millicores = millicores;
    node_.capacity.memory_bytes = memory_bytes;
    node_.capacity.gpus = gpus;
    return *this;
  }
  model::Node build() const { return node_; }

 private:
  model::Node node_;
};

}  // namespace trimtab::pricing::testing
