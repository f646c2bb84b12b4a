#pragma once
// The journal: one JSON object per line in STATE/journal.jsonl, appended and fsynced before the
// change it announces (write-ahead), so a run killed at any point can be undone from it and the
// backups beside it. Views derive step and gate states from the records; nothing else is stored.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "host/host.h"

namespace dh::engine {

using json = nlohmann::json;

inline constexpr const char* kDefaultStateDir = "/var/lib/devbox-harden";

class Journal {
 public:
  Journal(host::Host& host, std::string state_dir) : host_(host), dir_(std::move(state_dir)) {}
  // Reads the journal; a missing journal is empty. Unparseable lines are skipped and counted.
  Status load();
  Status ensure_dirs();
  // Adds "seq", "time" (epoch seconds) and "run"; writes the whole journal atomically (fsync).
  Expected<int64_t> append(json record);
  int64_t next_seq() const { return next_seq_; }
  const std::vector<json>& records() const { return records_; }
  const std::string& state_dir() const { return dir_; }
  std::string path() const { return dir_ + "/journal.jsonl"; }
  std::string backup_path(int64_t seq) const { return dir_ + "/backups/" + std::to_string(seq); }
  void set_run(std::string run) { run_ = std::move(run); }
  const std::string& run() const { return run_; }
  int skipped_lines() const { return skipped_; }
  host::Host& host() { return host_; }

 private:
  host::Host& host_;
  std::string dir_;
  std::string run_;
  std::string text_;
  std::vector<json> records_;
  int64_t next_seq_ = 1;
  int skipped_ = 0;
};

// ---- views -----------------------------------------------------------------------------------

// "begin" records not yet undone, newest first; step 0 means every step.
std::vector<json> changes_to_undo(const std::vector<json>& records, int step = 0);
// The step with the newest change that is not undone, or 0.
int last_step_with_changes(const std::vector<json>& records);

struct GateState {
  int step = 0;
  std::string kind;
  std::string token;
  int64_t opened = 0;
  std::optional<int64_t> deadline;
  json deadman;  // {"kind":"process","pid":N} or {"kind":"systemd","unit":"..."} or null
  enum class State { waiting, confirmed, cancelled } state = State::waiting;
  std::string detail;  // proof or reason
};
std::vector<GateState> gate_states(const std::vector<json>& records);
std::optional<GateState> open_gate(const std::vector<json>& records);
std::optional<GateState> find_gate(const std::vector<json>& records, const std::string& token);

// A run that began and never ended (killed), with the steps it left half-way.
struct InterruptedRun {
  std::string run;
  std::vector<int> steps;
  int64_t started = 0;
};
std::vector<InterruptedRun> interrupted_runs(const std::vector<json>& records, const std::string& current_run);

enum class StepState { pending, done, waiting, rolled_back, interrupted, failed };
struct StepStatus {
  StepState state = StepState::pending;
  int64_t since = 0;
  std::optional<int64_t> deadline;
  std::string detail;
};
StepStatus step_status(const std::vector<json>& records, int step);
const char* to_string(StepState state);

std::string format_time(int64_t epoch);  // "2026-12-04 16:05:00 UTC"

}  // namespace dh::engine
