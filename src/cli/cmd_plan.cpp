#include "cli/engine_options.h"
#include "engine/engine.h"

namespace dh::cli {

Action configure_plan(CLI::App& sub) {
  struct Options {
    EngineTarget target;
    std::vector<std::string> steps;
    steps::Options step;
  };
  auto o = std::make_shared<Options>();
  sub.footer(
      "Shows the changes `harden` would make, grouped by runbook step: unified diffs for files, the\n"
      "exact argv for commands, \"nothing to do\" for steps already done. Changes nothing.\n"
      "Exit status: 0, or 2 for a usage error.");
  o->target.add_options(sub);
  sub.add_option("STEP", o->steps, "Steps to plan (number or name, e.g. 5 or ssh); default all");
  add_step_options(sub, o->step);
  return [o](Context& context) {
    std::vector<int> numbers;
    for (const auto& s : o->steps) {
      auto n = steps::parse_step(s);
      if (!n) throw UsageError(n.error());
      numbers.push_back(*n);
    }
    auto engine = o->target.engine(context);
    return engine.plan(numbers, o->step);
  };
}

}  // namespace dh::cli
