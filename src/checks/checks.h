#pragma once
// Pure functions from facts to findings, in one static table with stable IDs.
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "facts/gather.h"

namespace dh::checks {

enum class Status { good, concerning, unknown };
enum class Severity { high, medium, low, info };

std::string_view to_string(Status status);
std::string_view to_string(Severity severity);

struct Finding {
  std::string id;
  Status status = Status::unknown;
  Severity severity = Severity::info;
  std::string summary;   // one line: the verdict in words
  std::string evidence;  // one line, taken from the system
  int remedy_step = 0;   // the runbook step that fixes it
};

// What a check function decides; the table adds id, severity and step.
struct Verdict {
  Status status = Status::unknown;
  std::string summary;
  std::string evidence;
  // Informational results (a good check that only lists things) report severity info.
  bool informational = false;
  int remedy_step = 0;  // 0: the table's step
};

struct CheckDef {
  std::string_view id;
  Severity severity;  // how bad it is when concerning
  int remedy_step;
  Verdict (*run)(const facts::Facts& facts);
};

std::span<const CheckDef> check_table();

// Every check in the table, in table order; a check that throws is a bug and is not caught here.
std::vector<Finding> run_checks(const facts::Facts& facts);

// Concerning first (high to info), then unknown, then good; stable within a group.
void sort_for_report(std::vector<Finding>& findings);

}  // namespace dh::checks
