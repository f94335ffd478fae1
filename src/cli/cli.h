// Command-line entry point: parses argv, runs one command, maps errors to exit codes.
#pragma once

namespace trimtab::cli {

// Returns the process exit status: 0 success, 1 runtime error, 2 usage error.
int run(int argc, char** argv);

}  // namespace trimtab::cli
