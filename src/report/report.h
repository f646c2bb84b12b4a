#pragma once
// Human tables (colour only on a TTY) and the stable --json schema.
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "checks/checks.h"

namespace dh::report {

struct HostInfo {
  std::string hostname;
  std::string os;
  std::string kernel;
  std::string root = "/";
};

struct AssessReport {
  HostInfo host;
  std::vector<checks::Finding> findings;  // in report order
  long elapsed_ms = 0;
};

HostInfo host_info(const facts::Facts& facts);

// schema 1: {"schema","tool","host","checks","summary","elapsed_ms"}
nlohmann::json to_json(const AssessReport& report);
void print_text(std::ostream& out, const AssessReport& report, bool color);

}  // namespace dh::report
