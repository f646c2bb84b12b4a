#include <algorithm>
#include <unistd.h>

#include <charconv>
#include <iostream>

#include "cli/engine_options.h"
#include "engine/engine.h"

namespace dh::cli {
namespace {

// "300", "300s", "5m", "1h" -> seconds.
int64_t parse_duration(const std::string& text) {
  if (text.empty()) throw UsageError("--confirm-timeout: empty duration");
  int64_t value = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  std::string unit(p, text.data() + text.size());
  if (ec != std::errc() || value <= 0) throw UsageError("--confirm-timeout: '" + text + "' is not a duration like 90s or 5m");
  if (unit.empty() || unit == "s") return value;
  if (unit == "m") return value * 60;
  if (unit == "h") return value * 3600;
  throw UsageError("--confirm-timeout: unknown unit '" + unit + "' (use s, m or h)");
}

}  // namespace

Action configure_harden(CLI::App& sub) {
  struct Options {
    std::string root = "/";
    engine::HardenOptions harden;
    std::vector<std::string> only;
    std::string timeout = "5m";
    bool sftp_given = false;  // --sftp on the command line; otherwise step 5 asks on a terminal
  };
  auto o = std::make_shared<Options>();
  sub.footer(
      "Walks the runbook's steps in order: check -> plan -> apply -> verify -> gate. Every change is\n"
      "backed up and journaled first; a failed write or verification rolls the step back.\n"
      "A step that can cut access is armed with a dead-man timer: unless `devbox-harden confirm`\n"
      "proves the new access path before --confirm-timeout, the step is rolled back automatically.\n"
      "Exit status: 0 done, 1 a step not done (refused, not implemented, interrupted run),\n"
      "2 usage error, 3 an apply failed and was rolled back, 4 a gate waits for you.");
  add_root_option(sub, o->root);
  add_state_dir_option(sub, o->harden.state_dir);
  sub.add_option("--from", o->harden.from, "Start at runbook step N")->check(CLI::Range(1, 9));
  sub.add_option("--only", o->only, "Run only these steps (number or name)");
  sub.add_flag("--dry-run", o->harden.dry_run, "Show what would change (same as `plan`) and change nothing");
  sub.add_flag("--yes", o->harden.yes, "Apply without asking (never skips a gate that needs a proof)");
  sub.add_flag("--resume", o->harden.resume, "After a run that was killed half-way: undo its half-done step and go on");
  sub.add_option("--confirm-timeout", o->timeout, "Dead-man timer: roll back unless confirmed within this (default 5m)")
      ->type_name("DURATION");
  add_step_options(sub, o->harden.step);
  sub.get_option("--sftp")->each([o](const std::string&) { o->sftp_given = true; });
  return [o](Context& context) {
    for (const auto& s : o->only) {
      auto n = steps::parse_step(s);
      if (!n) throw UsageError(n.error());
      o->harden.only.push_back(*n);
    }
    o->harden.confirm_timeout = parse_duration(o->timeout);
    o->harden.ask = [&context](const std::string& question) {
      if (::isatty(STDIN_FILENO) != 1) {
        context.out << "    (stdin is not a terminal: pass --yes to apply without asking)\n";
        return false;
      }
      context.out << question << " [y/N] " << std::flush;
      std::string answer;
      std::getline(std::cin, answer);
      return answer == "y" || answer == "Y" || answer == "yes";
    };
    // The runbook asks before step 5: VS Code Remote, scp and rsync need an SFTP subsystem.
    bool runs_step5 = o->harden.only.empty() ? o->harden.from <= 5
                                             : std::find(o->harden.only.begin(), o->harden.only.end(), 5) !=
                                                   o->harden.only.end();
    if (!o->sftp_given && runs_step5 && !o->harden.dry_run && ::isatty(STDIN_FILENO) == 1) {
      context.out << "Step 5 question: do you use SFTP (VS Code Remote-SSH, scp, rsync over SSH)? [Y/n] "
                  << std::flush;
      std::string answer;
      std::getline(std::cin, answer);
      o->harden.step.sftp = (answer == "n" || answer == "N" || answer == "no") ? "no" : "yes";
    }
    engine::Engine engine(context.host_for(o->root), o->harden.state_dir, context.out, context.err);
    return engine.harden(o->harden);
  };
}

}  // namespace dh::cli
