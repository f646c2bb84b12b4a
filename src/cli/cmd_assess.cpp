#include <chrono>
#include <iostream>

#include "checks/checks.h"
#include "cli/cli.h"
#include "facts/gather.h"
#include "report/report.h"

namespace dh::cli {

Action configure_assess(CLI::App& sub) {
  struct Options {
    std::string root = "/";
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  sub.footer(
      "Reads the system (files, sshd -T, ufw/nft/iptables, IMDS) and changes nothing.\n"
      "Exit status: 0 nothing concerning, 1 something concerning, 2 usage error.");
  add_root_option(sub, options->root);
  sub.add_flag("--json", options->json, "Print the report as JSON (schema 1)");
  return [options](Context& context) {
    auto start = std::chrono::steady_clock::now();
    host::Host& host = context.host_for(options->root);
    auto facts = facts::gather(host);
    report::AssessReport report;
    report.host = report::host_info(facts);
    report.findings = checks::run_checks(facts);
    checks::sort_for_report(report.findings);
    report.elapsed_ms = static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                              std::chrono::steady_clock::now() - start)
                                              .count());
    if (options->json)
      context.out << report::to_json(report).dump(2) << "\n";
    else
      report::print_text(context.out, report, context.out_is_tty);
    bool concerning = std::any_of(report.findings.begin(), report.findings.end(),
                                  [](const checks::Finding& f) { return f.status == checks::Status::concerning; });
    return concerning ? kExitConcerning : kExitOk;
  };
}

}  // namespace dh::cli
