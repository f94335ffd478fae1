#include "cli/command.h"

#include <algorithm>

namespace trimtab::cli {

namespace {
std::vector<Command>& registry() {
  static std::vector<Command> commands;
  return commands;
}
}  // namespace

const std::vector<Command>& registeredCommands() { return registry(); }

CommandRegistration::CommandRegistration(Command command) {
  auto& r = registry();
  r.insert(std::upper_bound(r.begin(), r.end(), command,
                            [](const Command& a, const Command& b) { return a.name < b.name; }),
           command);
}

}  // namespace trimtab::cli
