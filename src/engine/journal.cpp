#include "engine/journal.h"

#include <ctime>
#include <map>
#include <set>

#include "util/strings.h"

namespace dh::engine {

Status Journal::load() {
  records_.clear();
  skipped_ = 0;
  next_seq_ = 1;
  auto text = host_.files.read(path());
  if (!text) {
    if (!host_.files.exists(path())) {
      text_.clear();
      return ok_status();
    }
    return Error{"cannot read the journal: " + text.error()};
  }
  text_ = *text;
  for (auto line : split_lines(text_)) {
    if (trim(line).empty()) continue;
    auto record = json::parse(line, nullptr, false);
    if (record.is_discarded() || !record.is_object() || !record.contains("seq")) {
      ++skipped_;
      continue;
    }
    next_seq_ = std::max<int64_t>(next_seq_, record["seq"].get<int64_t>() + 1);
    records_.push_back(std::move(record));
  }
  return ok_status();
}

Status Journal::ensure_dirs() {
  if (auto s = host_.files.make_dirs(dir_, 0700); !s) return Error{"cannot create the state directory: " + s.error()};
  if (auto s = host_.files.make_dirs(dir_ + "/backups", 0700); !s)
    return Error{"cannot create the backup directory: " + s.error()};
  return ok_status();
}

Expected<int64_t> Journal::append(json record) {
  int64_t seq = next_seq_;
  record["seq"] = seq;
  record["time"] = std::chrono::duration_cast<std::chrono::seconds>(host_.clock.now().time_since_epoch()).count();
  if (!run_.empty() && !record.contains("run")) record["run"] = run_;
  std::string text = text_ + record.dump() + "\n";
  // Files has no append: rewriting the (small) journal atomically keeps every earlier record
  // intact even if this write is interrupted.
  if (auto s = host_.files.write_atomic(path(), text, 0600, 0, 0); !s) return Error{"journal: " + s.error()};
  text_ = std::move(text);
  records_.push_back(std::move(record));
  next_seq_ = seq + 1;
  return seq;
}

namespace {
int step_of(const json& r) { return r.value("step", 0); }
std::string event_of(const json& r) { return r.value("event", ""); }
}  // namespace

std::vector<json> changes_to_undo(const std::vector<json>& records, int step) {
  std::set<int64_t> undone;
  for (const auto& r : records)
    if (event_of(r) == "undone") undone.insert(r.value("of", int64_t{0}));
  std::vector<json> out;
  for (auto it = records.rbegin(); it != records.rend(); ++it)
    if (event_of(*it) == "begin" && !undone.count((*it)["seq"].get<int64_t>()) && (step == 0 || step_of(*it) == step))
      out.push_back(*it);
  return out;
}

int last_step_with_changes(const std::vector<json>& records) {
  auto pending = changes_to_undo(records, 0);
  return pending.empty() ? 0 : step_of(pending.front());
}

std::vector<GateState> gate_states(const std::vector<json>& records) {
  std::vector<GateState> gates;
  std::map<std::string, size_t> by_token;
  for (const auto& r : records) {
    auto event = event_of(r);
    if (event == "gate-open") {
      GateState g;
      g.step = step_of(r);
      g.kind = r.value("gate", "");
      g.token = r.value("token", "");
      g.opened = r.value("opened", r.value("time", int64_t{0}));
      if (r.contains("deadline") && r["deadline"].is_number()) g.deadline = r["deadline"].get<int64_t>();
      if (r.contains("deadman")) g.deadman = r["deadman"];
      by_token[g.token] = gates.size();
      gates.push_back(std::move(g));
    } else if (event == "deadman-armed") {
      auto it = by_token.find(r.value("token", ""));
      if (it != by_token.end()) gates[it->second].deadman = r["deadman"];
    } else if (event == "gate-confirmed" || event == "gate-cancelled") {
      auto it = by_token.find(r.value("token", ""));
      if (it == by_token.end()) continue;
      auto& g = gates[it->second];
      if (g.state != GateState::State::waiting) continue;
      g.state = event == "gate-confirmed" ? GateState::State::confirmed : GateState::State::cancelled;
      g.detail = r.value(event == "gate-confirmed" ? "proof" : "reason", "");
    }
  }
  return gates;
}

std::optional<GateState> open_gate(const std::vector<json>& records) {
  auto gates = gate_states(records);
  for (auto it = gates.rbegin(); it != gates.rend(); ++it)
    if (it->state == GateState::State::waiting) return *it;
  return std::nullopt;
}

std::optional<GateState> find_gate(const std::vector<json>& records, const std::string& token) {
  for (auto& g : gate_states(records))
    if (g.token == token) return g;
  return std::nullopt;
}

std::vector<InterruptedRun> interrupted_runs(const std::vector<json>& records, const std::string& current_run) {
  std::map<std::string, InterruptedRun> runs;
  std::vector<std::string> order;
  std::set<std::string> ended;
  // Steps begun in a run and not finished (applied, failed, rolled back) in it.
  std::map<std::string, std::set<int>> open_steps;
  for (const auto& r : records) {
    std::string run = r.value("run", "");
    auto event = event_of(r);
    if (event == "run-begin") {
      runs[run] = InterruptedRun{run, {}, r.value("time", int64_t{0})};
      order.push_back(run);
    } else if (event == "run-end" || event == "run-abandoned") {
      ended.insert(event == "run-abandoned" ? r.value("abandoned", "") : run);
    } else if (event == "step-begin") {
      open_steps[run].insert(step_of(r));
    } else if (event == "step-applied" || event == "step-failed" || event == "step-done") {
      open_steps[run].erase(step_of(r));
    }
  }
  std::vector<InterruptedRun> out;
  for (const auto& run : order) {
    if (run == current_run || ended.count(run)) continue;
    auto ir = runs[run];
    ir.steps.assign(open_steps[run].begin(), open_steps[run].end());
    out.push_back(std::move(ir));
  }
  return out;
}

StepStatus step_status(const std::vector<json>& records, int step) {
  StepStatus st;
  for (const auto& r : records) {
    if (step_of(r) != step) continue;
    auto event = event_of(r);
    int64_t t = r.value("time", int64_t{0});
    if (event == "step-begin") st = {StepState::interrupted, t, std::nullopt, "a run stopped half-way"};
    else if (event == "step-done") st = {StepState::done, t, std::nullopt, r.value("detail", "")};
    else if (event == "step-failed") st = {StepState::failed, t, std::nullopt, r.value("reason", "")};
    else if (event == "rolled-back") st = {StepState::rolled_back, t, std::nullopt, "by " + r.value("by", "rollback")};
    else if (event == "gate-open") {
      st = {StepState::waiting, r.value("opened", t), std::nullopt, r.value("gate", "")};
      if (r.contains("deadline") && r["deadline"].is_number()) st.deadline = r["deadline"].get<int64_t>();
    } else if (event == "step-applied" && st.state == StepState::interrupted) {
      st = {StepState::done, t, std::nullopt, ""};
    }
  }
  return st;
}

const char* to_string(StepState state) {
  switch (state) {
    case StepState::pending: return "pending";
    case StepState::done: return "done";
    case StepState::waiting: return "waiting for a gate";
    case StepState::rolled_back: return "rolled back";
    case StepState::interrupted: return "interrupted";
    case StepState::failed: return "failed (rolled back)";
  }
  return "?";
}

std::string format_time(int64_t epoch) {
  std::time_t t = static_cast<std::time_t>(epoch);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

}  // namespace dh::engine
