#include "cli/cli.h"

int main(int argc, char** argv) { return trimtab::cli::run(argc, argv); }
