#include "report/report.h"

#include <algorithm>

namespace dh::report {
namespace {

const char* status_color(checks::Status s, checks::Severity sev) {
  switch (s) {
    case checks::Status::good: return "\033[32m";
    case checks::Status::unknown: return "\033[33m";
    case checks::Status::concerning: return sev == checks::Severity::high ? "\033[1;31m" : "\033[31m";
  }
  return "";
}

std::string pad(std::string s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

}  // namespace

HostInfo host_info(const facts::Facts& facts) {
  HostInfo info;
  info.hostname = facts.hostname ? *facts.hostname : "unknown";
  info.os = facts.os ? (facts.os->pretty_name.empty() ? facts.os->id + " " + facts.os->version_id : facts.os->pretty_name)
                     : "unknown";
  info.kernel = facts.kernel ? *facts.kernel : "unknown";
  info.root = facts.root;
  return info;
}

nlohmann::json to_json(const AssessReport& report) {
  nlohmann::json checks = nlohmann::json::array();
  int good = 0, concerning = 0, unknown = 0;
  for (const auto& f : report.findings) {
    checks.push_back({{"id", f.id},
                      {"status", std::string(to_string(f.status))},
                      {"severity", std::string(to_string(f.severity))},
                      {"summary", f.summary},
                      {"evidence", f.evidence},
                      {"remedy_step", f.remedy_step}});
    (f.status == checks::Status::good ? good : f.status == checks::Status::concerning ? concerning : unknown)++;
  }
  return {{"schema", 1},
          {"tool", {{"name", "devbox-harden"}, {"version", DEVBOX_HARDEN_VERSION}}},
          {"host", {{"hostname", report.host.hostname}, {"os", report.host.os}, {"kernel", report.host.kernel},
                    {"root", report.host.root}}},
          {"checks", checks},
          {"summary", {{"good", good}, {"concerning", concerning}, {"unknown", unknown}}},
          {"elapsed_ms", report.elapsed_ms}};
}

void print_text(std::ostream& out, const AssessReport& report, bool color) {
  const char* reset = color ? "\033[0m" : "";
  const char* bold = color ? "\033[1m" : "";
  out << bold << "devbox-harden assess" << reset << ": " << report.host.hostname << ", " << report.host.os
      << ", kernel " << report.host.kernel << (report.host.root != "/" ? ", root " + report.host.root : "") << "\n\n";
  size_t id_width = 2;
  for (const auto& f : report.findings) id_width = std::max(id_width, f.id.size());
  out << bold << pad("STATUS", 11) << pad("SEVERITY", 9) << pad("ID", id_width + 2) << pad("STEP", 5) << "SUMMARY"
      << reset << "\n";
  int good = 0, concerning = 0, unknown = 0;
  for (const auto& f : report.findings) {
    (f.status == checks::Status::good ? good : f.status == checks::Status::concerning ? concerning : unknown)++;
    out << (color ? status_color(f.status, f.severity) : "") << pad(std::string(to_string(f.status)), 11) << reset
        << pad(std::string(to_string(f.severity)), 9) << pad(f.id, id_width + 2)
        << pad(std::to_string(f.remedy_step), 5) << f.summary << "\n";
    // An unknown's summary already carries its reason.
    if (!f.evidence.empty() && f.status != checks::Status::unknown)
      out << std::string(11 + 9, ' ') << (color ? "\033[2m" : "") << "evidence: " << f.evidence << reset << "\n";
  }
  out << "\n"
      << concerning << " concerning, " << unknown << " unknown, " << good << " good (" << report.elapsed_ms << " ms)\n";
  if (concerning)
    out << "Next: `devbox-harden plan` shows the changes that fix these, step by step.\n";
}

}  // namespace dh::report
