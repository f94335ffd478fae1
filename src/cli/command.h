// Command registry: each subsystem's command lives in its own src/cli/cmd_<name>.cc and
// registers itself with a static CommandRegistration. Those files are compiled into the trimtab
// executable itself (not a static library), so no registration is dropped by the linker.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace trimtab::cli {

struct Command {
  std::string_view name;   // first argv word, e.g. "serve"
  std::string_view usage;  // usage lines shown by `trimtab help`, each starting with "  trimtab "
  int (*run)(const std::vector<std::string>& argv);  // argv after the command name
};

// All registered commands, sorted by name.
const std::vector<Command>& registeredCommands();

struct CommandRegistration {
  explicit CommandRegistration(Command command);
};

}  // namespace trimtab::cli
