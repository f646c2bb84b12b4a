#include "cli/engine_options.h"
#include "engine/engine.h"

namespace dh::cli {

Action configure_status(CLI::App& sub) {
  struct Options {
    EngineTarget target;
  };
  auto o = std::make_shared<Options>();
  sub.footer(
      "Each runbook step from the journal: done, pending, waiting for a gate (since when, and the\n"
      "dead-man deadline), rolled back, failed, or interrupted. Changes nothing.\n"
      "Exit status: 0, or 4 when a gate is waiting.");
  o->target.add_options(sub);
  return [o](Context& context) {
    auto engine = o->target.engine(context);
    return engine.status();
  };
}

}  // namespace dh::cli
