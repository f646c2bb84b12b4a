#pragma once
// The walk: check -> plan -> apply -> verify -> gate, step by step, with the journal, backups,
// the lock, rollback, confirm, status and the dead-man timer. Commands in src/cli are thin
// wrappers around these functions; every result is an exit status (DESIGN.md).
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "engine/journal.h"
#include "host/host.h"
#include "steps/step.h"

namespace dh::engine {

struct HardenOptions {
  std::string state_dir = kDefaultStateDir;
  steps::Options step;
  int64_t confirm_timeout = 300;  // seconds
  bool dry_run = false;
  bool yes = false;
  bool resume = false;
  int from = 1;
  std::vector<int> only;  // empty: every step from `from`
  // Asks the user a yes/no question; returns false when nobody can answer.
  std::function<bool(const std::string& question)> ask;
};

struct RollbackTarget {
  enum class Kind { step, last, all } kind = Kind::last;
  int step = 0;
};

// A lock file with the holder's pid in the state directory; a stale one (dead pid) is reported
// and taken over. Released (removed) by the destructor.
class StateLock {
 public:
  static Expected<std::unique_ptr<StateLock>> acquire(host::Host& host, const std::string& state_dir,
                                                      std::ostream& out, int wait_seconds = 0);
  ~StateLock();
  StateLock(const StateLock&) = delete;
  StateLock& operator=(const StateLock&) = delete;

 private:
  StateLock(host::Host& host, std::string path) : host_(host), path_(std::move(path)) {}
  host::Host& host_;
  std::string path_;
};

class Engine {
 public:
  Engine(host::Host& host, std::string state_dir, std::ostream& out, std::ostream& err)
      : host_(host), state_dir_(std::move(state_dir)), out_(out), err_(err) {}

  // Changes nothing: the changes a run would make, grouped by step.
  int plan(const std::vector<int>& steps, const steps::Options& options);
  int harden(const HardenOptions& options);
  int rollback(const RollbackTarget& target);
  int confirm();
  int status();
  // The body of the dead-man timer: waits for the gate's deadline, then rolls back unless confirmed.
  int deadman(const std::string& token);

 private:
  std::vector<int> selected_steps(const HardenOptions& options) const;
  // Undoes changes (newest first), journals "rolled-back" per step, cancels their gates, and asks
  // each step to make services re-read the restored files. false when something failed.
  bool rollback_changes(Journal& journal, const std::vector<json>& changes, const std::string& by);
  void print_gate_instructions(const GateState& gate, const std::string& login_user);
  std::unique_ptr<StateLock> lock_and_load(Journal& journal, const std::string& who, int wait_seconds);
  int open_gate_and_wait(Journal& journal, const steps::Step& step, const HardenOptions& options, bool with_deadman);
  std::string confirm_command() const;
  int64_t now() const;

  host::Host& host_;
  std::string state_dir_;
  std::ostream& out_;
  std::ostream& err_;
};

}  // namespace dh::engine
