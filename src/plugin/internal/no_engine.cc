// Built instead of v8_sandbox.cc when libnode was not found: every load fails with a clear
// message and V8 tests skip.
#include "plugin/internal/sandbox.h"

namespace trimtab::plugin::internal {

bool engineAvailable() { return false; }

std::string engineDescription() { return "none (built without libnode; run scripts/bootstrap)"; }

Result<std::unique_ptr<Sandbox>> newSandbox(std::span<const std::uint8_t>, SandboxOptions) {
  return fail(ErrorCode::kUnsupported,
              "this trimtab was built without V8 (libnode-dev not found at configure time; run "
              "scripts/bootstrap "
              "and reconfigure)");
}

}  // namespace trimtab::plugin::internal
