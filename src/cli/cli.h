#pragma once
// The command table. Each command adds its own options to its CLI11 subcommand and returns the
// action to run once the arguments have parsed.
#include <CLI/CLI.hpp>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "host/host.h"

namespace dh::cli {

// Exit statuses shared by every command (DESIGN.md, conventions).
enum ExitCode : int {
  kExitOk = 0,
  kExitConcerning = 1,  // something concerning, or a step not done
  kExitUsage = 2,
  kExitRolledBack = 3,  // an apply failed and was rolled back
  kExitNeedsUser = 4,   // a gate is waiting
};

// A usage error found after parsing (a bad --root, say): main prints it and exits 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Context {
  std::ostream& out;
  std::ostream& err;
  bool out_is_tty = false;
  // Builds the real host for a root ("/" = this machine); tests hand in a fake.
  std::function<host::Host&(const std::string& root)> host_for;
};

using Action = std::function<int(Context&)>;

struct Command {
  const char* name;
  const char* summary;
  Action (*configure)(CLI::App& sub);
};

const std::vector<Command>& command_table();

// Parses argv, runs one command, returns the exit status. Usage errors return 2.
int run(int argc, char** argv, Context& context);

// Shared option: --root DIR (checked to be a directory; stored absolute, without trailing '/').
void add_root_option(CLI::App& sub, std::string& root);

// Per-command actions (one file each under src/cli/).
Action configure_assess(CLI::App& sub);
Action configure_plan(CLI::App& sub);
Action configure_harden(CLI::App& sub);
Action configure_confirm(CLI::App& sub);
Action configure_rollback(CLI::App& sub);
Action configure_status(CLI::App& sub);
Action configure_deadman(CLI::App& sub);

}  // namespace dh::cli
