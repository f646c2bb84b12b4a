#include "cli/engine_options.h"
#include "engine/engine.h"

namespace dh::cli {

// Internal: the body of the dead-man timer, started by `harden` (systemd-run or detached).
Action configure_deadman(CLI::App& sub) {
  struct Options {
    std::string root = "/";
    std::string state_dir = engine::kDefaultStateDir;
    std::string token;
  };
  auto o = std::make_shared<Options>();
  sub.group("");  // hidden from --help
  add_root_option(sub, o->root);
  add_state_dir_option(sub, o->state_dir);
  sub.add_option("--token", o->token, "The gate this timer guards")->required();
  return [o](Context& context) {
    engine::Engine engine(context.host_for(o->root), o->state_dir, context.out, context.err);
    return engine.deadman(o->token);
  };
}

}  // namespace dh::cli
