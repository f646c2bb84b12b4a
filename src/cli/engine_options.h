#pragma once
// Options shared by the change commands (plan, harden, confirm, rollback, status, deadman).
#include <CLI/CLI.hpp>
#include <string>

#include "cli/cli.h"
#include "engine/journal.h"

namespace dh::cli {

inline void add_state_dir_option(CLI::App& sub, std::string& state_dir) {
  sub.add_option("--state-dir", state_dir,
                 "Journal, backups and lock (host-absolute, under --root when given); default " +
                     std::string(engine::kDefaultStateDir))
      ->type_name("DIR")
      ->check([](const std::string& v) { return v.starts_with("/") ? std::string() : "must be an absolute path"; });
}

}  // namespace dh::cli
