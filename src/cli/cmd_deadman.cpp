#include "cli/engine_options.h"
#include "engine/engine.h"

namespace dh::cli {

// Internal: the body of the dead-man timer, started by `harden` (systemd-run or detached).
Action configure_deadman(CLI::App& sub) {
  struct Options {
    EngineTarget target;
    std::string token;
  };
  auto o = std::make_shared<Options>();
  sub.group("");  // hidden from --help
  o->target.add_options(sub);
  sub.add_option("--token", o->token, "The gate this timer guards")->required();
  return [o](Context& context) {
    auto engine = o->target.engine(context);
    return engine.deadman(o->token);
  };
}

}  // namespace dh::cli
