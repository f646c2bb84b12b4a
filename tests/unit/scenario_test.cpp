// Scenario tests: a fixture root tree plus recorded command and IMDS outputs go in, the exact
// report comes out (bloaty-style golden files). UPDATE_GOLDEN=1 rewrites expected.* after a
// deliberate change; review the diff before committing it.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "checks/checks.h"
#include "facts/gather.h"
#include "fakes/fake_host.h"
#include "report/report.h"
#include "unit/test_data.h"

namespace dh {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& path) { return testing::read_whole(path); }

// scenario.json: {"live": bool, "env": {...}, "commands": {"argv line": {"out": "file" | "text",
// "exit": 0}}, "http": {"METHOD URL": {"status": 200, "body": "..."}}}
void load(const fs::path& dir, fake::FakeHost& h) {
  auto spec = nlohmann::json::parse(slurp(dir / "scenario.json"));
  fs::path root = dir / "root";
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
    std::string path = "/" + fs::relative(it->path(), root).string();
    if (it->is_symlink()) {
      h.files.add_symlink(path, fs::read_symlink(it->path()).string());
    } else if (it->is_directory()) {
      h.files.add_dir(path);
    } else {
      auto perms = static_cast<mode_t>(fs::status(it->path()).permissions()) & 07777;
      h.files.add(path, slurp(it->path()), perms);
    }
  }
  // Named locals: a range-for over items() of a temporary would dangle.
  const auto env = spec.value("env", nlohmann::json::object());
  const auto commands = spec.value("commands", nlohmann::json::object());
  const auto http = spec.value("http", nlohmann::json::object());
  for (auto& [key, value] : env.items())
    h.env.vars[key] = value.get<std::string>();
  for (auto& [line, reply] : commands.items()) {
    std::string out = reply.value("out", "");
    if (reply.contains("out_file")) out = slurp(dir / reply["out_file"].get<std::string>());
    h.commands.reply(line, out, reply.value("exit", 0), reply.value("err", ""));
  }
  for (auto& [key, reply] : http.items())
    h.http.replies[key] = host::HttpResponse{reply.value("status", 200L), reply.value("body", "")};
  if (!spec.value("live", true)) h.host.root = "/srv/" + dir.filename().string();
}

class Scenario : public ::testing::TestWithParam<std::string> {};

TEST_P(Scenario, ReportMatchesGoldenFiles) {
  fs::path dir = fs::path(DEVBOX_SCENARIOS) / GetParam();
  fake::FakeHost h;
  load(dir, h);
  auto facts = facts::gather(h.host);
  report::AssessReport report;
  report.host = report::host_info(facts);
  report.findings = checks::run_checks(facts);
  checks::sort_for_report(report.findings);
  report.elapsed_ms = 0;
  std::ostringstream text;
  report::print_text(text, report, false);
  std::string json = report::to_json(report).dump(2) + "\n";

  EXPECT_TRUE(h.files.writes.empty()) << "assess must not write";
  if (std::getenv("UPDATE_GOLDEN")) {
    std::ofstream(dir / "expected.txt") << text.str();
    std::ofstream(dir / "expected.json") << json;
  }
  EXPECT_EQ(text.str(), slurp(dir / "expected.txt"));
  EXPECT_EQ(json, slurp(dir / "expected.json"));
}

std::vector<std::string> scenario_names() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(DEVBOX_SCENARIOS))
    if (fs::exists(entry.path() / "scenario.json")) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, Scenario, ::testing::ValuesIn(scenario_names()),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (auto& c : name)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

}  // namespace
}  // namespace dh
