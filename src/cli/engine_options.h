#pragma once
// Options shared by the change commands (plan, harden, confirm, rollback, status, deadman).
#include <CLI/CLI.hpp>
#include <string>

#include "cli/cli.h"
#include "engine/engine.h"
#include "engine/journal.h"
#include "steps/step.h"

namespace dh::cli {

inline void add_state_dir_option(CLI::App& sub, std::string& state_dir) {
  sub.add_option("--state-dir", state_dir,
                 "Journal, backups and lock (host-absolute, under --root when given); default " +
                     std::string(engine::kDefaultStateDir))
      ->type_name("DIR")
      ->check([](const std::string& v) { return v.starts_with("/") ? std::string() : "must be an absolute path"; });
}

// The choices a step needs from the user, shared by `plan` and `harden` so both plan the same.
inline void add_step_options(CLI::App& sub, steps::Options& step) {
  sub.add_option("--sftp", step.sftp,
                 "Step 5: keep an sftp subsystem (yes; VS Code Remote, scp, rsync need it), remove it (no), "
                 "or leave it as configured (keep)")
      ->check(CLI::IsMember({"yes", "no", "keep"}));
  sub.add_option("--login-user", step.login_user, "The account that must keep SSH key access (default: SUDO_USER)");
  sub.add_flag("--tailscale-ssh", step.tailscale_ssh,
               "Step 3: `tailscale up --ssh` (Tailscale SSH bypasses sshd: step 5 and fail2ban do not apply to it)");
  sub.add_option("--ts-authkey", step.tailscale_authkey,
                 "Step 3: a Tailscale auth key for unattended login (default: $TS_AUTHKEY; else a login URL is shown)")
      ->type_name("KEY");
}

// Where a change command works: the root (`--root`) and its state directory (`--state-dir`).
struct EngineTarget {
  std::string root = "/";
  std::string state_dir = engine::kDefaultStateDir;

  void add_options(CLI::App& sub) {
    add_root_option(sub, root);
    add_state_dir_option(sub, state_dir);
  }
  engine::Engine engine(Context& context) const {
    return engine::Engine(context.host_for(root), state_dir, context.out, context.err);
  }
};

}  // namespace dh::cli
