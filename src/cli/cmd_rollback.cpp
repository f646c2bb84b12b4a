#include "cli/engine_options.h"
#include "engine/engine.h"

namespace dh::cli {

Action configure_rollback(CLI::App& sub) {
  struct Options {
    EngineTarget target;
    std::string step;
    bool last = false;
    bool all = false;
  };
  auto o = std::make_shared<Options>();
  sub.footer(
      "Restores every file a step changed to its backup (byte-identical content, mode and owner),\n"
      "runs the undo of its commands in reverse order, and makes services re-read the files.\n"
      "Safe to repeat: a second rollback finds nothing to do. Exit status: 0 done, 1 incomplete.");
  o->target.add_options(sub);
  auto* step = sub.add_option("STEP", o->step, "The step to roll back (number or name)");
  auto* last = sub.add_flag("--last", o->last, "Roll back the most recent step that changed something (default)");
  auto* all = sub.add_flag("--all", o->all, "Roll back every change, newest first");
  step->excludes(last)->excludes(all);
  last->excludes(all);
  return [o](Context& context) {
    engine::RollbackTarget target;
    if (o->all) {
      target.kind = engine::RollbackTarget::Kind::all;
    } else if (!o->step.empty()) {
      auto n = steps::parse_step(o->step);
      if (!n) throw UsageError(n.error());
      target.kind = engine::RollbackTarget::Kind::step;
      target.step = *n;
    }
    auto engine = o->target.engine(context);
    return engine.rollback(target);
  };
}

}  // namespace dh::cli
