#include "engine/engine.h"

#include <algorithm>
#include <charconv>
#include <csignal>
#include <ostream>
#include <set>
#include <sstream>
#include <thread>

#include "aws/imds.h"
#include "engine/change.h"
#include "engine/deadman.h"
#include "engine/gate.h"
#include "util/strings.h"

namespace dh::engine {
namespace {

std::string run_id(host::Host& host) {
  auto t = std::chrono::system_clock::to_time_t(host.clock.now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%S", &tm);
  int pid = host.processes ? host.processes->self_pid() : 0;
  return std::string(buf) + "-" + std::to_string(pid);
}

std::string duration_text(int64_t seconds) {
  if (seconds < 0) seconds = 0;
  if (seconds < 60) return std::to_string(seconds) + "s";
  return std::to_string(seconds / 60) + "m" + (seconds % 60 ? " " + std::to_string(seconds % 60) + "s" : "");
}

std::string step_title(const steps::Step& step) {
  return "Step " + std::to_string(step.number()) + ": " + std::string(step.name());
}

}  // namespace

// ---- lock ------------------------------------------------------------------------------------

Expected<std::unique_ptr<StateLock>> StateLock::acquire(host::Host& host, const std::string& state_dir,
                                                        std::ostream& out, int wait_seconds) {
  std::string path = state_dir + "/lock";
  int self = host.processes ? host.processes->self_pid() : 0;
  for (int attempt = 0;; ++attempt) {
    auto created = host.files.create_exclusive(path, std::to_string(self) + "\n", 0600);
    if (created) return std::unique_ptr<StateLock>(new StateLock(host, path));
    auto text = host.files.read(path);
    if (!text) {
      if (!host.files.exists(path) && attempt < 3) continue;  // released in between
      return Error{"cannot take the lock " + path + ": " + created.error()};
    }
    int pid = 0;
    auto t = trim(*text);
    std::from_chars(t.data(), t.data() + t.size(), pid);
    bool alive = pid > 0 && host.processes && host.processes->kill(pid, 0).ok();
    if (!alive) {
      out << "note: taking over a stale lock " << path << " (pid " << (pid > 0 ? std::to_string(pid) : "?")
          << " is not running; a previous run was killed)\n";
      if (auto s = host.files.remove(path); !s) return Error{"cannot remove the stale lock: " + s.error()};
      continue;
    }
    if (attempt < wait_seconds * 4) {
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
      continue;
    }
    return Error{"another devbox-harden run (pid " + std::to_string(pid) + ") holds " + path +
                 "; wait for it to finish"};
  }
}

StateLock::~StateLock() { (void)host_.files.remove(path_); }

// ---- helpers ---------------------------------------------------------------------------------

int64_t Engine::now() const {
  return std::chrono::duration_cast<std::chrono::seconds>(host_.clock.now().time_since_epoch()).count();
}

std::string Engine::confirm_command() const {
  std::string cmd = "sudo devbox-harden confirm";
  if (host_.root != "/") cmd += " --root " + host_.root;
  if (state_dir_ != kDefaultStateDir) cmd += " --state-dir " + state_dir_;
  return cmd;
}

std::vector<int> Engine::selected_steps(const HardenOptions& options) const {
  std::vector<int> out;
  if (!options.only.empty()) {
    out = options.only;
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }
  for (const auto& s : steps::registry())
    if (s->number() >= options.from) out.push_back(s->number());
  return out;
}

void Engine::print_gate_instructions(const GateState& gate, const std::string& login_user) {
  auto kind = steps::gate_kind_from(gate.kind).value_or(steps::GateKind::none);
  std::string user = login_user.empty() ? host_.env.get("SUDO_USER").value_or("YOU") : login_user;
  out_ << "\nGATE (step " << gate.step << "): prove the new access path works.\n";
  if (kind == steps::GateKind::new_ssh) {
    std::string address = "THIS-BOX";
    if (host_.processes)
      if (auto view = read_connection_view(*host_.processes); view)
        if (auto session = find_ssh_session(*view)) address = session->connection.local;
    out_ << "  From your laptop, open a NEW SSH connection (keep this one open until it works):\n"
         << "    ssh " << user << "@" << address << "\n";
  } else if (kind == steps::GateKind::tailscale) {
    auto addresses = tailscale_addresses(host_);
    out_ << "  From your laptop (on the tailnet), open a NEW SSH connection to the Tailscale address:\n"
         << "    ssh " << user << "@" << (addresses.empty() ? "TAILSCALE-IP" : addresses.front()) << "\n";
  } else if (kind == steps::GateKind::ssm) {
    std::string instance = "INSTANCE_ID", region = "REGION";
    if (host_.live())
      if (auto imds = aws::probe_imds(host_); imds) {
        if (!imds->instance_id.empty()) instance = imds->instance_id;
        if (!imds->region.empty()) region = imds->region;
      }
    out_ << "  From your laptop, open a Session Manager session:\n"
         << "    aws ssm start-session --target " << instance << " --region " << region << "\n";
  }
  out_ << "  and run there:\n    " << confirm_command() << "\n";
  if (gate.deadline)
    out_ << "  Deadline: " << format_time(*gate.deadline) << " (in " << duration_text(*gate.deadline - now())
         << "). Without the confirmation the change is rolled back automatically.\n";
  out_ << "  Then run `sudo devbox-harden harden` again to continue with the next step.\n";
}

bool Engine::rollback_changes(Journal& journal, const std::vector<json>& changes, const std::string& by) {
  bool ok = true;
  std::vector<int> steps_touched;
  for (const auto& c : changes) {
    int step = c.value("step", 0);
    if (std::find(steps_touched.begin(), steps_touched.end(), step) == steps_touched.end())
      steps_touched.push_back(step);
    if (auto s = undo_change(journal, c, out_); !s) {
      err_ << "    ERROR: could not undo change #" << c["seq"].get<int64_t>() << ": " << s.error() << "\n";
      ok = false;
    }
  }
  for (int step : steps_touched) {
    for (const auto& g : gate_states(journal.records()))
      if (g.step == step && g.state == GateState::State::waiting) {
        if (by != "deadman") disarm_deadman(host_, g.deadman, g.token, out_);
        (void)journal.append({{"event", "gate-cancelled"}, {"step", step}, {"token", g.token}, {"reason", "rolled back by " + by}});
      }
    if (ok) (void)journal.append({{"event", "rolled-back"}, {"step", step}, {"by", by}});
    if (auto* s = steps::find_step(step)) s->after_rollback(host_, out_);
  }
  return ok;
}

// ---- plan ------------------------------------------------------------------------------------

int Engine::plan(const std::vector<int>& step_numbers, const steps::Options& options) {
  std::vector<int> numbers = step_numbers;
  if (numbers.empty())
    for (const auto& s : steps::registry()) numbers.push_back(s->number());
  int total = 0;
  for (int n : numbers) {
    auto* step = steps::find_step(n);
    if (!step) continue;
    out_ << step_title(*step) << "\n";
    if (!step->implemented()) {
      out_ << "    not implemented yet — later issue\n";
      continue;
    }
    auto p = step->plan(host_, options);
    if (!p) {
      out_ << "    cannot plan: " << p.error() << "\n";
      continue;
    }
    for (const auto& note : p->notes) out_ << "    note: " << note << "\n";
    DryRunApplier dry(out_);
    bool failed = false;
    for (auto& change : p->changes)
      if (auto r = change->check_apply(host_, dry); !r) {
        out_ << "    cannot check " << change->describe() << ": " << r.error() << "\n";
        failed = true;
      }
    if (dry.count() == 0 && !failed) {
      out_ << "    nothing to do\n";
      continue;
    }
    steps::Options step_options = options;
    Journal journal(host_, state_dir_);
    if (journal.load()) step_options.journal = journal.records();  // read-only: plan writes nothing
    if (auto s = step->preflight(host_, step_options); !s)
      out_ << "    WARNING: harden would refuse: " << s.error() << "\n";
    (void)step->activate(host_, dry);
    if (step->gate() != steps::GateKind::none)
      out_ << "    then: gate (" << steps::to_string(step->gate()) << ")"
           << (step->deadman() ? ", armed with the dead-man timer" : "") << "\n";
    total += dry.count();
  }
  out_ << (total == 0 ? "\nNothing to change.\n" : "\n" + std::to_string(total) + " change(s) planned; nothing was changed.\n");
  return 0;
}

// ---- harden ----------------------------------------------------------------------------------

// Opens the step's gate (with the dead-man timer when the step changed something that can cut
// access), prints what the user must do, and returns the exit status: 4, or 3 when the timer
// could not be armed and the step was rolled back.
int Engine::open_gate_and_wait(Journal& journal, const steps::Step& step, const HardenOptions& options, bool with_deadman) {
  const int n = step.number();
  GateState gate;
  gate.step = n;
  gate.kind = std::string(steps::to_string(step.gate()));
  gate.token = journal.run() + "-s" + std::to_string(n);
  gate.opened = now();
  if (with_deadman) gate.deadline = gate.opened + options.confirm_timeout;
  json open = {{"event", "gate-open"}, {"step", n}, {"gate", gate.kind}, {"token", gate.token}, {"opened", gate.opened}};
  if (gate.deadline) open["deadline"] = *gate.deadline;
  (void)journal.append(open);
  if (with_deadman) {
    auto armed = arm_deadman(host_, state_dir_, gate.token, options.confirm_timeout);
    if (!armed) {
      out_ << "    cannot arm the dead-man timer (" << armed.error() << "): rolling back, a change that can cut "
           << "access is never left without it\n";
      rollback_changes(journal, changes_to_undo(journal.records(), n), "harden (no dead-man timer)");
      return 3;
    }
    (void)journal.append({{"event", "deadman-armed"}, {"step", n}, {"token", gate.token}, {"deadman", *armed}});
    out_ << "    dead-man timer armed: "
         << ((*armed)["kind"] == "systemd" ? "systemd unit " + (*armed)["unit"].get<std::string>()
                                           : "process " + std::to_string((*armed)["pid"].get<int>()))
         << ", rolls back at " << format_time(*gate.deadline) << "\n";
  }
  print_gate_instructions(gate, options.step.login_user);
  return 4;
}

// The state lock, then the journal read under it: what every command that appends needs first.
// On failure it says why after `who` and returns null.
std::unique_ptr<StateLock> Engine::lock_and_load(Journal& journal, const std::string& who, int wait_seconds) {
  auto lock = StateLock::acquire(host_, state_dir_, out_, wait_seconds);
  if (!lock) {
    err_ << who << ": " << lock.error() << "\n";
    return nullptr;
  }
  if (auto s = journal.load(); !s) {
    err_ << who << ": " << s.error() << "\n";
    return nullptr;
  }
  return std::move(*lock);
}

int Engine::harden(const HardenOptions& options) {
  auto numbers = selected_steps(options);
  if (options.dry_run) {
    out_ << "Dry run: nothing is changed.\n";
    return plan(numbers, options.step);
  }
  Journal journal(host_, state_dir_);
  if (auto s = journal.ensure_dirs(); !s) {
    err_ << "devbox-harden harden: " << s.error() << "\n";
    return 1;
  }
  auto lock = lock_and_load(journal, "devbox-harden harden", 0);
  if (!lock) return 1;
  journal.set_run(run_id(host_));
  auto end = [&](int code) {
    (void)journal.append({{"event", "run-end"}, {"exit", code}});
    return code;
  };
  if (auto r = journal.append({{"event", "run-begin"}, {"command", "harden"}}); !r) {
    err_ << "devbox-harden harden: " << r.error() << "\n";
    return 1;
  }

  // A run killed half-way: undo its half-done steps and go on (--resume), or stop and say how.
  for (const auto& ir : interrupted_runs(journal.records(), journal.run())) {
    std::vector<json> pending;
    for (int step : ir.steps)
      for (auto& c : changes_to_undo(journal.records(), step)) pending.push_back(c);
    if (pending.empty() && ir.steps.empty()) {
      (void)journal.append({{"event", "run-abandoned"}, {"abandoned", ir.run}});
      continue;
    }
    out_ << "A previous run (" << ir.run << ", started " << format_time(ir.started)
         << ") was stopped half-way in step(s)";
    for (int s : ir.steps) out_ << " " << s;
    out_ << ".\n";
    if (!options.resume) {
      out_ << "Choose one:\n  sudo devbox-harden rollback --last     undo what it changed\n"
           << "  sudo devbox-harden harden --resume     undo the half-done step and run it again\n";
      return end(1);
    }
    std::sort(pending.begin(), pending.end(), [](const json& a, const json& b) { return a["seq"] > b["seq"]; });
    out_ << "Resuming: undoing the half-done step first.\n";
    if (!rollback_changes(journal, pending, "resume")) return end(1);
    (void)journal.append({{"event", "run-abandoned"}, {"abandoned", ir.run}});
  }

  // A gate still waiting: either its deadline passed without the timer firing, or the user must act.
  if (auto gate = open_gate(journal.records())) {
    if (gate->deadline && now() >= *gate->deadline) {
      out_ << "Step " << gate->step << " was never confirmed and its deadline (" << format_time(*gate->deadline)
           << ") has passed: rolling it back now.\n";
      rollback_changes(journal, changes_to_undo(journal.records(), gate->step), "harden (deadline passed)");
      if (auto g = find_gate(journal.records(), gate->token); g && g->state == GateState::State::waiting)
        (void)journal.append({{"event", "gate-cancelled"}, {"step", gate->step}, {"token", gate->token},
                              {"reason", "deadline passed"}});
    } else {
      out_ << "Step " << gate->step << " is waiting for its gate.\n";
      print_gate_instructions(*gate, options.step.login_user);
      return end(4);
    }
  }

  int result = 0;
  for (int n : numbers) {
    auto* step = steps::find_step(n);
    if (!step) continue;
    out_ << step_title(*step) << "\n";
    if (!step->implemented()) {
      out_ << "    not implemented yet — later issue. harden stops here";
      out_ << (options.only.empty() ? "; run the implemented steps with --only (e.g. --only 5)\n" : "\n");
      result = 1;
      if (options.only.empty()) break;
      continue;
    }
    auto p = step->plan(host_, options.step);
    if (!p) {
      out_ << "    cannot plan: " << p.error() << "\n";
      result = 1;
      break;
    }
    for (const auto& note : p->notes) out_ << "    note: " << note << "\n";
    // Check first with the same code the apply uses, touching nothing.
    std::ostringstream preview;
    DryRunApplier dry(preview);
    for (auto& change : p->changes)
      if (auto r = change->check_apply(host_, dry); !r) {
        out_ << "    cannot check " << change->describe() << ": " << r.error() << "\n";
        return end(1);
      }
    if (dry.count() == 0) {
      out_ << "    nothing to do\n";
      // An out-of-band path (Tailscale, SSM) that was already in place still has to be proven
      // once: later steps close the old path on the strength of that proof.
      bool needs_proof = step->gate() == steps::GateKind::tailscale || step->gate() == steps::GateKind::ssm;
      bool proven = false;
      for (const auto& g : gate_states(journal.records()))
        if (g.step == n && g.state == GateState::State::confirmed) proven = true;
      if (needs_proof && !proven) {
        out_ << "    its access path was never proven: confirm it once (nothing was changed, so no dead-man timer)\n";
        return end(open_gate_and_wait(journal, *step, options, /*with_deadman=*/false));
      }
      if (step_status(journal.records(), n).state != StepState::done)
        (void)journal.append({{"event", "step-done"}, {"step", n}, {"detail", "already right"}});
      continue;
    }
    out_ << preview.str();
    steps::Options step_options = options.step;
    step_options.journal = journal.records();
    if (auto s = step->preflight(host_, step_options); !s) {
      out_ << "    REFUSED: " << s.error() << "\n";
      return end(1);
    }
    if (!options.yes) {
      bool yes = options.ask && options.ask("Apply step " + std::to_string(n) + "?");
      if (!yes) {
        out_ << "    not applied (answer yes, or pass --yes)\n";
        return end(1);
      }
    }
    (void)journal.append({{"event", "step-begin"}, {"step", n}});
    JournalingApplier apply(journal, n, out_);
    std::string failure;
    for (auto& change : p->changes) {
      auto r = change->check_apply(host_, apply);
      if (!r) {
        failure = change->describe() + ": " + r.error();
        break;
      }
    }
    if (failure.empty())
      if (auto s = step->validate(host_); !s) failure = s.error();
    if (failure.empty())
      if (auto s = step->activate(host_, apply); !s) failure = s.error();
    if (failure.empty()) {
      for (auto& change : p->changes)
        if (auto s = change->verify(host_); !s) {
          failure = "verify: " + s.error();
          break;
        }
    }
    if (failure.empty())
      if (auto s = step->verify(host_, options.step); !s) failure = "verify: " + s.error();
    if (!failure.empty()) {
      out_ << "    FAILED: " << failure << "\n    rolling back step " << n << ":\n";
      bool undone = rollback_changes(journal, changes_to_undo(journal.records(), n), "harden (apply failed)");
      (void)journal.append({{"event", "step-failed"}, {"step", n}, {"reason", failure}});
      err_ << "devbox-harden harden: step " << n << " failed and "
           << (undone ? "was rolled back; the system is as before" : "could NOT be fully rolled back; see above")
           << ".\n  Reason: " << failure << "\n";
      return end(undone ? 3 : 1);
    }
    (void)journal.append({{"event", "verified"}, {"step", n}});
    (void)journal.append({{"event", "step-applied"}, {"step", n}});
    out_ << "    applied and verified\n";
    if (step->gate() == steps::GateKind::none) {
      (void)journal.append({{"event", "step-done"}, {"step", n}});
      continue;
    }
    return end(open_gate_and_wait(journal, *step, options, step->deadman()));
  }
  if (result == 0) out_ << "\nAll selected steps are done.\n";
  return end(result);
}

// ---- rollback --------------------------------------------------------------------------------

int Engine::rollback(const RollbackTarget& target) {
  Journal journal(host_, state_dir_);
  if (!host_.files.exists(journal.path())) {
    out_ << "Nothing to roll back (no journal in " << state_dir_ << ").\n";
    return 0;
  }
  auto lock = lock_and_load(journal, "devbox-harden rollback", 30);
  if (!lock) return 1;
  journal.set_run(run_id(host_));
  int step = 0;
  if (target.kind == RollbackTarget::Kind::step) step = target.step;
  if (target.kind == RollbackTarget::Kind::last) step = last_step_with_changes(journal.records());
  auto changes = (target.kind == RollbackTarget::Kind::all || step != 0) ? changes_to_undo(journal.records(), step)
                                                                          : std::vector<json>{};
  if (changes.empty()) {
    out_ << "Nothing to roll back" << (step ? " for step " + std::to_string(step) : std::string()) << ".\n";
    return 0;
  }
  out_ << "Rolling back " << changes.size() << " change(s)"
       << (target.kind == RollbackTarget::Kind::all ? std::string(" of every step") : " of step " + std::to_string(step))
       << ", newest first:\n";
  (void)journal.append({{"event", "run-begin"}, {"command", "rollback"}});
  bool ok = rollback_changes(journal, changes, "rollback");
  // Interrupted runs whose changes are now undone need no more attention.
  for (const auto& ir : interrupted_runs(journal.records(), journal.run())) {
    bool left = false;
    for (int s : ir.steps) left = left || !changes_to_undo(journal.records(), s).empty();
    if (!left) (void)journal.append({{"event", "run-abandoned"}, {"abandoned", ir.run}});
  }
  (void)journal.append({{"event", "run-end"}, {"exit", ok ? 0 : 1}});
  out_ << (ok ? "Rolled back.\n" : "Rollback incomplete: fix the errors above and run it again (it is safe to repeat).\n");
  return ok ? 0 : 1;
}

// ---- confirm ---------------------------------------------------------------------------------

int Engine::confirm() {
  Journal journal(host_, state_dir_);
  if (!host_.files.exists(journal.path())) {
    out_ << "Nothing is waiting for confirmation (no journal in " << state_dir_ << ").\n";
    return 0;
  }
  auto lock = lock_and_load(journal, "devbox-harden confirm", 30);
  if (!lock) return 1;
  auto gate = open_gate(journal.records());
  if (!gate) {
    out_ << "Nothing is waiting for confirmation. `devbox-harden status` shows where each step stands.\n";
    return 0;
  }
  if (gate->deadline && now() >= *gate->deadline) {
    out_ << "Too late: step " << gate->step << " had to be confirmed by " << format_time(*gate->deadline)
         << ". The dead-man timer rolls it back; run `sudo devbox-harden harden` to try again.\n";
    return 1;
  }
  auto kind = steps::gate_kind_from(gate->kind).value_or(steps::GateKind::none);
  if (!host_.processes) {
    err_ << "devbox-harden confirm: cannot read the process tree on this host\n";
    return 1;
  }
  auto view = read_connection_view(*host_.processes);
  if (!view) {
    out_ << "Not confirmed: " << view.error() << "\n";
    return 1;
  }
  std::vector<std::string> ts;
  if (kind == steps::GateKind::tailscale) ts = tailscale_addresses(host_);
  auto proof = judge_gate(kind, *view, gate->opened, ts);
  if (!proof.ok) {
    out_ << "Not confirmed: " << proof.detail << ".\n";
    print_gate_instructions(*gate, "");
    return 1;
  }
  journal.set_run(run_id(host_));
  (void)journal.append({{"event", "gate-confirmed"}, {"step", gate->step}, {"token", gate->token}, {"proof", proof.detail}});
  (void)journal.append({{"event", "step-done"}, {"step", gate->step}, {"detail", "confirmed: " + proof.detail}});
  out_ << "Step " << gate->step << " confirmed: " << proof.detail << ".\n";
  disarm_deadman(host_, gate->deadman, gate->token, out_);
  out_ << "Run `sudo devbox-harden harden` to continue with the next step.\n";
  return 0;
}

// ---- status ----------------------------------------------------------------------------------

int Engine::status() {
  Journal journal(host_, state_dir_);
  if (auto s = journal.load(); !s) {
    err_ << "devbox-harden status: " << s.error() << "\n";
    return 1;
  }
  bool waiting = false;
  out_ << "Step  State                 Runbook step\n";
  for (const auto& step : steps::registry()) {
    auto st = step_status(journal.records(), step->number());
    std::string state = to_string(st.state);
    std::string detail;
    if (st.state == StepState::pending && !step->implemented()) state = "not implemented yet";
    if (st.state == StepState::waiting) {
      waiting = true;
      detail = "gate " + st.detail + " since " + format_time(st.since);
      if (st.deadline)
        detail += "; rolled back automatically at " + format_time(*st.deadline) +
                  (now() < *st.deadline ? " (in " + duration_text(*st.deadline - now()) + ")" : " (deadline passed)");
    } else if (st.state != StepState::pending) {
      detail = "since " + format_time(st.since) + (st.detail.empty() ? "" : "; " + st.detail);
    }
    char line[160];
    std::snprintf(line, sizeof line, "%4d  %-20s  %s", step->number(), state.c_str(), std::string(step->name()).c_str());
    out_ << line << "\n";
    if (!detail.empty()) out_ << "                            " << detail << "\n";
  }
  for (const auto& ir : interrupted_runs(journal.records(), "")) {
    if (ir.steps.empty()) continue;
    out_ << "\nA run (" << ir.run << ") was stopped half-way; `sudo devbox-harden rollback --last` or "
         << "`sudo devbox-harden harden --resume`.\n";
  }
  if (journal.skipped_lines()) out_ << "\nwarning: " << journal.skipped_lines() << " unreadable journal line(s) skipped\n";
  return waiting ? 4 : 0;
}

// ---- dead-man --------------------------------------------------------------------------------

int Engine::deadman(const std::string& token) {
  Journal journal(host_, state_dir_);
  out_ << format_time(now()) << " dead-man " << token << ": started\n";
  for (;;) {
    if (auto s = journal.load(); !s) {
      err_ << "dead-man: " << s.error() << "\n";
      std::this_thread::sleep_for(std::chrono::seconds(1));
      continue;
    }
    auto gate = find_gate(journal.records(), token);
    if (!gate) {
      out_ << "dead-man " << token << ": no such gate in the journal; nothing to do\n";
      return 0;
    }
    if (gate->state != GateState::State::waiting) {
      out_ << "dead-man " << token << ": gate already "
           << (gate->state == GateState::State::confirmed ? "confirmed" : "cancelled") << "; nothing to do\n";
      return 0;
    }
    int64_t left = gate->deadline ? *gate->deadline - now() : 0;
    if (left <= 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(left * 1000, 500)));
  }
  auto lock = lock_and_load(journal, "dead-man " + token, 120);
  if (!lock) return 1;
  auto gate = find_gate(journal.records(), token);
  if (!gate || gate->state != GateState::State::waiting) {
    out_ << "dead-man " << token << ": confirmed in the meantime; nothing to do\n";
    return 0;
  }
  journal.set_run(run_id(host_));
  out_ << format_time(now()) << " dead-man " << token << ": step " << gate->step
       << " was not confirmed in time: rolling it back\n";
  (void)journal.append({{"event", "deadman-fired"}, {"step", gate->step}, {"token", token}});
  bool ok = rollback_changes(journal, changes_to_undo(journal.records(), gate->step), "deadman");
  if (auto g = find_gate(journal.records(), token); g && g->state == GateState::State::waiting)
    (void)journal.append({{"event", "gate-cancelled"}, {"step", gate->step}, {"token", token}, {"reason", "dead-man fired"}});
  out_ << "dead-man " << token << ": " << (ok ? "rolled back" : "rollback INCOMPLETE") << "\n";
  return ok ? 0 : 1;
}

}  // namespace dh::engine
