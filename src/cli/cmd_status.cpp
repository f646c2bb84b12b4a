#include "cli/engine_options.h"
#include "engine/engine.h"

namespace dh::cli {

Action configure_status(CLI::App& sub) {
  struct Options {
    std::string root = "/";
    std::string state_dir = engine::kDefaultStateDir;
  };
  auto o = std::make_shared<Options>();
  sub.footer(
      "Each runbook step from the journal: done, pending, waiting for a gate (since when, and the\n"
      "dead-man deadline), rolled back, failed, or interrupted. Changes nothing.\n"
      "Exit status: 0, or 4 when a gate is waiting.");
  add_root_option(sub, o->root);
  add_state_dir_option(sub, o->state_dir);
  return [o](Context& context) {
    engine::Engine engine(context.host_for(o->root), o->state_dir, context.out, context.err);
    return engine.status();
  };
}

}  // namespace dh::cli
