// OpenCost filter language v2.1 (shared/reference/opencost-semantics.md §5.4), parsed into an
// AST and evaluated strictly per the AST (every clause of a `+` group must hold — the fix for
// upstream bug #3371, where `+` was ignored once the first clause matched).
//
//   filter     ::= element (op element)*      op is '+' (AND) or '|' (OR); one op per scope
//   element    ::= comparison | '(' filter ')'
//   comparison ::= key cmp value (',' value)*
//   key        ::= field | mapfield '[' mapkey ']'
//   cmp        ::= ':' | '!:' | '~:' | '!~:' | '<~:' | '!<~:' | '~>:' | '!~>:'
//   value      ::= '"' chars '"'              chars may use \" and \\ escapes
//
// `:` equals (on a slice or a key-less map: contains an element / has the key), `~:` contains
// a substring, `<~:` has prefix, `~>:` has suffix; `!` negates. Several values: positive
// operators OR them, negated operators AND the negations. A map key that is absent reads as
// "". Whitespace between tokens is ignored; an empty (all-space) filter matches everything.
// Filters are immutable values; evaluation is thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cost/allocation.h"
#include "model/error.h"

namespace trimtab::cost {

// Which labels (then annotations) stand for the department/environment/owner/product/team
// aliases, first match wins (OpenCost label config defaults).
struct LabelAliases {
  std::vector<std::string> department{"department"};
  std::vector<std::string> environment{"env"};
  std::vector<std::string> owner{"owner"};
  std::vector<std::string> product{"app"};
  std::vector<std::string> team{"team"};
};

enum class FilterField {
  // allocation fields
  kCluster,
  kNode,
  kNamespace,
  kControllerKind,
  kControllerName,
  kPod,
  kContainer,
  kProvider,  // allocation: providerID of the node; asset: cloud provider name
  kRuntimeClass,  // runtimeClass: pod spec.runtimeClassName
  kWasm,          // wasm: "true" for WebAssembly workloads, else "false"
  kServices,  // slice
  kLabel,     // map
  kAnnotation,
  kDepartment,
  kEnvironment,
  kOwner,
  kProduct,
  kTeam,
  // asset-only fields
  kName,
  kAssetType,
  kCategory,
  kProject,
  kProviderId,
  kAccount,
  kService,
};

enum class FilterOp { kEquals, kContains, kPrefix, kSuffix };

struct FilterComparison {
  FilterField field = FilterField::kCluster;
  bool has_key = false;  // map field with [key]
  std::string key;       // map key when has_key
  FilterOp op = FilterOp::kEquals;
  bool negated = false;
  std::vector<std::string> values;  // at least one
};

struct FilterNode {
  enum class Kind { kAll, kAnd, kOr, kNot, kComparison };
  Kind kind = Kind::kAll;
  std::vector<int> children;  // indices into Filter::nodes (kAnd, kOr: ≥1; kNot: 1)
  FilterComparison comparison;  // kComparison only
};

// Simple asset properties for parseAssetFilter/matches.
struct AssetProperties {
  std::string name, asset_type, category, cluster, project, provider, provider_id, account,
      service;
  StringMap labels;  // sorted
};

class Filter {
 public:
  // Matches everything.
  Filter();

  bool matches(const AllocationProperties& props, const LabelAliases& aliases = {}) const;
  bool matches(const AssetProperties& props) const;

  // A filter matching exactly what `f` does not.
  static Filter negate(const Filter& f);
  // Canonical text that parses back to an equivalent filter.
  std::string toString() const;

  const std::vector<FilterNode>& nodes() const { return nodes_; }
  int root() const { return root_; }

 private:
  friend class FilterParser;
  std::vector<FilterNode> nodes_;
  int root_ = 0;
};

// Errors are kInvalidArgument, e.g.
//   filter: at offset 12: expected '"' to start a value after ':'
Result<Filter> parseAllocationFilter(std::string_view text);
// Fields: name, assetType, category, cluster, project, provider, providerID, account, service,
// label[k].
Result<Filter> parseAssetFilter(std::string_view text);

}  // namespace trimtab::cost
