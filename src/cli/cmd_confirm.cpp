#include "cli/engine_options.h"
#include "engine/engine.h"

namespace dh::cli {

Action configure_confirm(CLI::App& sub) {
  struct Options {
    EngineTarget target;
  };
  auto o = std::make_shared<Options>();
  sub.footer(
      "Finishes the waiting gate, but only with proof that the NEW access path works, read from the\n"
      "process tree above this command and the kernel's socket table:\n"
      "  SSH gates: a new SSH connection, opened after the change (step 5: any address;\n"
      "             Tailscale gates: from 100.64.0.0/10 or fd7a:115c:a1e0::/48 to this box's Tailscale address)\n"
      "  SSM gate:  running inside an SSM Session Manager session\n"
      "Confirming stops the dead-man timer. Exit status: 0 confirmed (or nothing waiting), 1 not proven.");
  o->target.add_options(sub);
  return [o](Context& context) {
    auto engine = o->target.engine(context);
    return engine.confirm();
  };
}

}  // namespace dh::cli
