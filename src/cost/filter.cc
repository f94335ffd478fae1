#include "cost/filter.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace trimtab::cost {

namespace {

constexpr int kMaxDepth = 64;

struct FieldName {
  std::string_view name;
  FilterField field;
};

constexpr FieldName kAllocationFields[] = {
    {"cluster", FilterField::kCluster},
    {"node", FilterField::kNode},
    {"namespace", FilterField::kNamespace},
    {"controllerKind", FilterField::kControllerKind},
    {"controllerName", FilterField::kControllerName},
    {"pod", FilterField::kPod},
    {"container", FilterField::kContainer},
    {"provider", FilterField::kProvider},
    {"providerID", FilterField::kProvider},
    {"runtimeClass", FilterField::kRuntimeClass},
    {"wasm", FilterField::kWasm},
    {"services", FilterField::kServices},
    {"label", FilterField::kLabel},
    {"annotation", FilterField::kAnnotation},
    {"department", FilterField::kDepartment},
    {"environment", FilterField::kEnvironment},
    {"owner", FilterField::kOwner},
    {"product", FilterField::kProduct},
    {"team", FilterField::kTeam},
};

constexpr FieldName kAssetFields[] = {
    {"name", FilterField::kName},
    {"assetType", FilterField::kAssetType},
    {"category", FilterField::kCategory},
    {"cluster", FilterField::kCluster},
    {"project", FilterField::kProject},
    {"provider", FilterField::kProvider},
    {"providerID", FilterField::kProviderId},
    {"account", FilterField::kAccount},
    {"service", FilterField::kService},
    {"label", FilterField::kLabel},
};

bool isMapField(FilterField f) { return f == FilterField::kLabel || f == FilterField::kAnnotation; }

std::string_view fieldName(FilterField f, bool asset) {
  if (asset) {
    for (const auto& fn : kAssetFields)
      if (fn.field == f) return fn.name;
  }
  for (const auto& fn : kAllocationFields)
    if (fn.field == f) return fn.name;
  for (const auto& fn : kAssetFields)
    if (fn.field == f) return fn.name;
  return "?";
}

bool isIdentChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

bool applyOp(FilterOp op, std::string_view subject, std::string_view value) {
  switch (op) {
    case FilterOp::kEquals:
      return subject == value;
    case FilterOp::kContains:
      return subject.find(value) != std::string_view::npos;
    case FilterOp::kPrefix:
      return subject.substr(0, value.size()) == value;
    case FilterOp::kSuffix:
      return subject.size() >= value.size() &&
             subject.substr(subject.size() - value.size()) == value;
  }
  return false;
}

std::string sanitizeLabelName(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (!isIdentChar(c)) c = '_';
  return out;
}

const std::string* lookupMap(const StringMap& map, std::string_view key) {
  if (const std::string* v = findInMap(map, key)) return v;
  std::string sanitized = sanitizeLabelName(key);
  if (sanitized != key) return findInMap(map, sanitized);
  return nullptr;
}

const std::string* lookupAlias(const AllocationProperties& p, const std::vector<std::string>& names) {
  for (const auto& n : names)
    if (const std::string* v = lookupMap(p.labels, n)) return v;
  for (const auto& n : names)
    if (const std::string* v = lookupMap(p.annotations, n)) return v;
  return nullptr;
}

const std::vector<std::string>& aliasNames(FilterField f, const LabelAliases& a) {
  switch (f) {
    case FilterField::kDepartment:
      return a.department;
    case FilterField::kEnvironment:
      return a.environment;
    case FilterField::kOwner:
      return a.owner;
    case FilterField::kProduct:
      return a.product;
    default:
      return a.team;
  }
}

// True when any value satisfies the comparison's operator against a scalar subject.
bool anyValue(const FilterComparison& c, std::string_view subject) {
  for (const auto& v : c.values)
    if (applyOp(c.op, subject, v)) return true;
  return false;
}

bool anyValueInSlice(const FilterComparison& c, const std::vector<std::string>& items) {
  for (const auto& it : items)
    if (anyValue(c, it)) return true;
  return false;
}

bool anyValueInKeys(const FilterComparison& c, const StringMap& map) {
  for (const auto& [k, v] : map)
    if (anyValue(c, k)) return true;
  return false;
}

bool evalMapComparison(const FilterComparison& c, const StringMap& map) {
  if (!c.has_key) return anyValueInKeys(c, map);
  const std::string* v = lookupMap(map, c.key);
  return anyValue(c, v ? std::string_view(*v) : std::string_view());
}

bool evalAllocation(const FilterComparison& c, const AllocationProperties& p,
                    const LabelAliases& aliases) {
  switch (c.field) {
    case FilterField::kCluster:
      return anyValue(c, p.cluster);
    case FilterField::kNode:
      return anyValue(c, p.node);
    case FilterField::kNamespace:
      return anyValue(c, p.namespace_name);
    case FilterField::kControllerKind:
      return anyValue(c, p.controller_kind);
    case FilterField::kControllerName:
      return anyValue(c, p.controller);
    case FilterField::kPod:
      return anyValue(c, p.pod);
    case FilterField::kContainer:
      return anyValue(c, p.container);
    case FilterField::kProvider:
    case FilterField::kProviderId:
      return anyValue(c, p.provider_id);
    case FilterField::kRuntimeClass:
      return anyValue(c, p.runtime_class);
    case FilterField::kWasm:
      return anyValue(c, p.wasm ? "true" : "false");
    case FilterField::kServices:
      return anyValueInSlice(c, p.services);
    case FilterField::kLabel:
      return evalMapComparison(c, p.labels);
    case FilterField::kAnnotation:
      return evalMapComparison(c, p.annotations);
    case FilterField::kDepartment:
    case FilterField::kEnvironment:
    case FilterField::kOwner:
    case FilterField::kProduct:
    case FilterField::kTeam: {
      const std::string* v = lookupAlias(p, aliasNames(c.field, aliases));
      return anyValue(c, v ? std::string_view(*v) : std::string_view());
    }
    default:
      return false;  // asset-only field: never produced by parseAllocationFilter
  }
}

bool evalAsset(const FilterComparison& c, const AssetProperties& p) {
  switch (c.field) {
    case FilterField::kName:
      return anyValue(c, p.name);
    case FilterField::kAssetType:
      return anyValue(c, p.asset_type);
    case FilterField::kCategory:
      return anyValue(c, p.category);
    case FilterField::kCluster:
      return anyValue(c, p.cluster);
    case FilterField::kProject:
      return anyValue(c, p.project);
    case FilterField::kProvider:
      return anyValue(c, p.provider);
    case FilterField::kProviderId:
      return anyValue(c, p.provider_id);
    case FilterField::kAccount:
      return anyValue(c, p.account);
    case FilterField::kService:
      return anyValue(c, p.service);
    case FilterField::kLabel:
      return evalMapComparison(c, p.labels);
    default:
      return false;
  }
}

template <typename Leaf>
bool evalNode(const std::vector<FilterNode>& nodes, int idx, const Leaf& leaf) {
  const FilterNode& n = nodes[static_cast<size_t>(idx)];
  switch (n.kind) {
    case FilterNode::Kind::kAll:
      return true;
    case FilterNode::Kind::kAnd:
      for (int c : n.children)
        if (!evalNode(nodes, c, leaf)) return false;
      return true;
    case FilterNode::Kind::kOr:
      for (int c : n.children)
        if (evalNode(nodes, c, leaf)) return true;
      return false;
    case FilterNode::Kind::kNot:
      return !evalNode(nodes, n.children.at(0), leaf);
    case FilterNode::Kind::kComparison: {
      bool any = leaf(n.comparison);
      return n.comparison.negated ? !any : any;
    }
  }
  return false;
}

std::string quoteValue(std::string_view v) {
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

std::string opText(const FilterComparison& c) {
  std::string s = c.negated ? "!" : "";
  switch (c.op) {
    case FilterOp::kEquals:
      s += ":";
      break;
    case FilterOp::kContains:
      s += "~:";
      break;
    case FilterOp::kPrefix:
      s += "<~:";
      break;
    case FilterOp::kSuffix:
      s += "~>:";
      break;
  }
  return s;
}

void render(const std::vector<FilterNode>& nodes, int idx, std::string& out, bool top) {
  const FilterNode& n = nodes[static_cast<size_t>(idx)];
  switch (n.kind) {
    case FilterNode::Kind::kAll:
      return;
    case FilterNode::Kind::kComparison: {
      const auto& c = n.comparison;
      out += fieldName(c.field, false);
      if (c.has_key) {
        out += '[';
        out += c.key;
        out += ']';
      }
      out += opText(c);
      for (size_t i = 0; i < c.values.size(); ++i) {
        if (i) out += ',';
        out += quoteValue(c.values[i]);
      }
      return;
    }
    case FilterNode::Kind::kNot: {
      // The grammar has no NOT; only negate() builds one. Rendered for diagnostics.
      out += "!(";
      render(nodes, n.children.at(0), out, true);
      out += ')';
      return;
    }
    case FilterNode::Kind::kAnd:
    case FilterNode::Kind::kOr: {
      if (!top) out += '(';
      for (size_t i = 0; i < n.children.size(); ++i) {
        if (i) out += n.kind == FilterNode::Kind::kAnd ? '+' : '|';
        render(nodes, n.children[i], out, false);
      }
      if (!top) out += ')';
      return;
    }
  }
}

}  // namespace

class FilterParser {
 public:
  FilterParser(std::string_view text, bool asset) : text_(text), asset_(asset) {}

  Result<Filter> run() {
    Filter f;
    f.nodes_.clear();
    nodes_ = &f.nodes_;
    skipSpace();
    if (pos_ == text_.size()) {
      f.nodes_.push_back(FilterNode{});
      f.root_ = 0;
      return f;
    }
    auto root = parseGroup(0);
    if (!root) return fail(root.error());
    skipSpace();
    if (pos_ != text_.size()) {
      if (text_[pos_] == ')') return error("unbalanced ')'");
      return error("expected '+', '|' or end of filter");
    }
    f.root_ = *root;
    return f;
  }

 private:
  tl::unexpected<Error> error(std::string_view what) const {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("filter: at offset {}: {}", pos_, what));
  }

  void skipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }

  int addNode(FilterNode n) {
    nodes_->push_back(std::move(n));
    return static_cast<int>(nodes_->size() - 1);
  }

  Result<int> parseGroup(int depth) {
    if (depth > kMaxDepth) return error("filter nested too deeply");
    std::vector<int> children;
    char group_op = 0;
    size_t group_op_pos = 0;
    for (;;) {
      auto el = parseElement(depth);
      if (!el) return el;
      children.push_back(*el);
      skipSpace();
      if (pos_ >= text_.size()) break;
      char c = text_[pos_];
      if (c != '+' && c != '|') break;
      if (group_op != 0 && c != group_op) {
        return error(fmt::format(
            "cannot mix '+' and '|' in one group ('{}' at offset {}); use parentheses", group_op,
            group_op_pos));
      }
      group_op = c;
      group_op_pos = pos_;
      ++pos_;
    }
    if (children.size() == 1) return children[0];
    FilterNode n;
    n.kind = group_op == '+' ? FilterNode::Kind::kAnd : FilterNode::Kind::kOr;
    n.children = std::move(children);
    return addNode(std::move(n));
  }

  Result<int> parseElement(int depth) {
    skipSpace();
    if (pos_ >= text_.size()) return error("expected a field name or '(' but the filter ended");
    if (text_[pos_] == '(') {
      ++pos_;
      skipSpace();
      if (pos_ < text_.size() && text_[pos_] == ')') return error("empty parentheses");
      auto inner = parseGroup(depth + 1);
      if (!inner) return inner;
      skipSpace();
      if (pos_ >= text_.size() || text_[pos_] != ')') return error("expected ')'");
      ++pos_;
      return inner;
    }
    return parseComparison();
  }

  Result<int> parseComparison() {
    size_t name_start = pos_;
    while (pos_ < text_.size() && isIdentChar(text_[pos_])) ++pos_;
    std::string_view name = text_.substr(name_start, pos_ - name_start);
    if (name.empty()) {
      return error(fmt::format("expected a field name, got '{}'", text_[pos_]));
    }
    FilterComparison c;
    bool found = false;
    if (asset_) {
      for (const auto& fn : kAssetFields)
        if (fn.name == name) c.field = fn.field, found = true;
    } else {
      for (const auto& fn : kAllocationFields)
        if (fn.name == name) c.field = fn.field, found = true;
    }
    if (!found) {
      size_t save = pos_;
      pos_ = name_start;
      auto e = error(fmt::format("unknown {} filter field \"{}\"", asset_ ? "asset" : "allocation",
                                 name));
      pos_ = save;
      return e;
    }
    skipSpace();
    if (pos_ < text_.size() && text_[pos_] == '[') {
      if (!isMapField(c.field)) {
        return error(fmt::format("field \"{}\" is not a map and takes no [key]", name));
      }
      ++pos_;
      size_t key_start = pos_;
      while (pos_ < text_.size() && text_[pos_] != ']' && text_[pos_] != '"' &&
             text_[pos_] != ' ' && text_[pos_] != '[')
        ++pos_;
      if (pos_ == key_start) return error("expected a map key after '['");
      if (pos_ >= text_.size() || text_[pos_] != ']') return error("expected ']' after map key");
      c.has_key = true;
      c.key = std::string(text_.substr(key_start, pos_ - key_start));
      ++pos_;
      skipSpace();
    }
    auto op_ok = parseOp(c);
    if (!op_ok) return fail(op_ok.error());
    for (;;) {
      skipSpace();
      if (pos_ >= text_.size() || text_[pos_] != '"') {
        return error(fmt::format("expected '\"' to start a value after '{}'",
                                 c.values.empty() ? opText(c) : std::string(",")));
      }
      ++pos_;
      std::string value;
      bool closed = false;
      while (pos_ < text_.size()) {
        char ch = text_[pos_];
        if (ch == '\\') {
          if (pos_ + 1 >= text_.size()) break;
          char nx = text_[pos_ + 1];
          if (nx != '"' && nx != '\\') return error("bad escape in value (only \\\" and \\\\)");
          value += nx;
          pos_ += 2;
          continue;
        }
        if (ch == '"') {
          closed = true;
          ++pos_;
          break;
        }
        value += ch;
        ++pos_;
      }
      if (!closed) return error("unterminated value: expected closing '\"'");
      c.values.push_back(std::move(value));
      skipSpace();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      break;
    }
    FilterNode n;
    n.kind = FilterNode::Kind::kComparison;
    n.comparison = std::move(c);
    return addNode(std::move(n));
  }

  Status parseOp(FilterComparison& c) {
    std::string_view rest = text_.substr(pos_);
    size_t n = 0;
    if (!rest.empty() && rest[0] == '!') {
      c.negated = true;
      n = 1;
    }
    std::string_view r = rest.substr(n);
    if (r.substr(0, 1) == ":") {
      c.op = FilterOp::kEquals;
      n += 1;
    } else if (r.substr(0, 2) == "~:") {
      c.op = FilterOp::kContains;
      n += 2;
    } else if (r.substr(0, 3) == "<~:") {
      c.op = FilterOp::kPrefix;
      n += 3;
    } else if (r.substr(0, 3) == "~>:") {
      c.op = FilterOp::kSuffix;
      n += 3;
    } else {
      return error(
          "expected an operator (':', '!:', '~:', '!~:', '<~:', '!<~:', '~>:', '!~>:') after the "
          "field");
    }
    pos_ += n;
    return {};
  }

  std::string_view text_;
  bool asset_;
  size_t pos_ = 0;
  std::vector<FilterNode>* nodes_ = nullptr;
};

Filter::Filter() : nodes_(1), root_(0) {}

bool Filter::matches(const AllocationProperties& props, const LabelAliases& aliases) const {
  return evalNode(nodes_, root_, [&](const FilterComparison& c) {
    return evalAllocation(c, props, aliases);
  });
}

bool Filter::matches(const AssetProperties& props) const {
  return evalNode(nodes_, root_, [&](const FilterComparison& c) { return evalAsset(c, props); });
}

Filter Filter::negate(const Filter& f) {
  Filter out = f;
  FilterNode n;
  n.kind = FilterNode::Kind::kNot;
  n.children.push_back(f.root_);
  out.nodes_.push_back(std::move(n));
  out.root_ = static_cast<int>(out.nodes_.size() - 1);
  return out;
}

std::string Filter::toString() const {
  std::string out;
  render(nodes_, root_, out, true);
  return out;
}

Result<Filter> parseAllocationFilter(std::string_view text) {
  return FilterParser(text, false).run();
}

Result<Filter> parseAssetFilter(std::string_view text) { return FilterParser(text, true).run(); }

}  // namespace trimtab::cost
