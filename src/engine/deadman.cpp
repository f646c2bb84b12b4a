#include "engine/deadman.h"

#include <csignal>
#include <ostream>

#include "engine/change.h"

namespace dh::engine {

std::string deadman_unit(const std::string& token) { return "devbox-harden-deadman-" + token; }

std::string real_path(const host::Host& host, const std::string& path) {
  return host.root == "/" ? path : host.root + path;
}

std::vector<std::string> deadman_command(const std::string& exe, const std::string& root, const std::string& state_dir,
                                         const std::string& token) {
  return {exe, "deadman", "--root", root, "--state-dir", state_dir, "--token", token};
}

std::vector<std::string> systemd_run_argv(const std::string& token, int64_t seconds,
                                          const std::vector<std::string>& command) {
  std::vector<std::string> argv = {"systemd-run",
                                   "--unit=" + deadman_unit(token),
                                   "--description=devbox-harden dead-man timer: rolls back unless confirmed",
                                   "--on-active=" + std::to_string(seconds) + "s",
                                   "--timer-property=AccuracySec=1s",
                                   "--collect"};
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

Expected<json> arm_deadman(host::Host& host, const std::string& state_dir, const std::string& token, int64_t seconds) {
  if (!host.processes) return Error{"this host cannot start processes"};
  auto exe = host.processes->self_exe();
  if (!exe) return Error{"cannot find the devbox-harden executable: " + exe.error()};
  auto command = deadman_command(*exe, host.root, state_dir, token);
  if (host.processes->systemd_booted()) {
    host::RunOptions options;
    options.in_root = false;
    options.timeout = std::chrono::seconds(30);
    auto argv = systemd_run_argv(token, seconds, command);
    auto r = host.commands.run(argv, options);
    if (!r) return Error{"systemd-run: " + r.error()};
    if (r->exit_code != 0) return Error{"`" + argv_text(argv) + "` failed: " + r->err};
    return json{{"kind", "systemd"}, {"unit", deadman_unit(token)}};
  }
  auto pid = host.processes->spawn_detached(command, real_path(host, state_dir + "/deadman.log"));
  if (!pid) return Error{"cannot start the dead-man process: " + pid.error()};
  return json{{"kind", "process"}, {"pid", *pid}};
}

void disarm_deadman(host::Host& host, const json& deadman, const std::string& token, std::ostream& out) {
  if (!deadman.is_object() || !host.processes) return;
  std::string kind = deadman.value("kind", "");
  if (kind == "systemd") {
    host::RunOptions options;
    options.in_root = false;
    std::string unit = deadman.value("unit", deadman_unit(token));
    auto r = host.commands.run({"systemctl", "stop", unit + ".timer", unit + ".service"}, options);
    out << "    dead-man timer " << unit << (r && r->exit_code == 0 ? " stopped" : " already gone") << "\n";
  } else if (kind == "process") {
    int pid = deadman.value("pid", 0);
    if (pid <= 1 || pid == host.processes->self_pid()) return;
    // Only signal the pid if it still is our dead-man for this token (pids are reused).
    auto cmdline = host.processes->read_proc(std::to_string(pid) + "/cmdline");
    if (!cmdline || cmdline->find("deadman") == std::string::npos || cmdline->find(token) == std::string::npos) {
      out << "    dead-man process " << pid << " already gone\n";
      return;
    }
    auto s = host.processes->kill(pid, SIGTERM);
    out << "    dead-man process " << pid << (s ? " stopped" : " could not be stopped: " + s.error()) << "\n";
  }
}

}  // namespace dh::engine
