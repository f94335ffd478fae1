#include "cli/cli.h"

#include <cstdio>

namespace trimtab::cli {

int run(int, char**) {
  std::fputs("trimtab: under construction\n", stderr);
  return 1;
}

}  // namespace trimtab::cli
