// Step 5's second half: fail2ban's sshd jail, with the backend that works on this system and the
// tailnet never banned.
#include "steps/fail2ban.h"

#include "engine/change.h"
#include "steps/probed_change.h"
#include "util/strings.h"

namespace dh::steps {

namespace {
constexpr const char* kClient = "/usr/bin/fail2ban-client";
}

std::string fail2ban_jail(host::Host& host) {
  // Debian 12 has no /var/log/auth.log without rsyslog: the stock file backend finds no log and
  // the jail does not start, so read the systemd journal there.
  bool auth_log = host.files.exists("/var/log/auth.log");
  std::string jail =
      "# Written by devbox-harden (runbook step 5). Read after jail.local, so it wins.\n"
      "[sshd]\n"
      "enabled  = true\n"
      "port     = ssh\n"
      "maxretry = 5\n"
      "bantime  = 600\n"
      "findtime = 600\n";
  jail += auth_log ? "backend  = auto\nlogpath  = /var/log/auth.log\n" : "backend  = systemd\n";
  // Never ban the tailnet: a mistyped key from your own laptop must not lock you out.
  jail += "ignoreip = 127.0.0.1/8 ::1 100.64.0.0/10 fd7a:115c:a1e0::/48\n";
  return jail;
}

void add_fail2ban_changes(host::Host& host, StepPlan& plan) {
  if (!host.files.exists(kClient)) {
    plan.changes.push_back(std::make_unique<ProbedCommand>(
        "install fail2ban", [](host::Host& h) -> Expected<bool> { return h.files.exists(kClient); },
        std::vector<std::string>{"apt-get", "install", "-y", "-q", "fail2ban"},
        std::vector<std::string>{"apt-get", "remove", "-y", "-q", "fail2ban"}));
  }
  plan.changes.push_back(std::make_unique<engine::FileContent>(kFail2banJail, fail2ban_jail(host), 0644));
  if (!host.files.exists("/var/log/auth.log"))
    plan.notes.push_back("no /var/log/auth.log: the sshd jail reads the systemd journal (backend = systemd)");
}

bool fail2ban_running(host::Host& host) {
  auto r = host.commands.run({kClient, "ping"}, {});
  return r && r->exit_code == 0;
}

Status fail2ban_activate(host::Host& host, engine::Applier& applier) {
  if (!host.live()) {
    applier.note("not starting fail2ban: working on a tree (--root)");
    return ok_status();
  }
  if (host.processes && host.processes->systemd_booted()) {
    if (auto s = applier.run_command({"systemctl", "enable", "fail2ban"}, {"systemctl", "disable", "fail2ban"}); !s)
      return s;
    return applier.run_command({"systemctl", "restart", "fail2ban"}, {});
  }
  // No systemd (a container): a running server re-reads its jails; otherwise start one.
  if (fail2ban_running(host)) return applier.run_command({kClient, "reload"}, {});
  return applier.run_command({kClient, "-b", "start"}, {kClient, "stop"});
}

Status fail2ban_verify(host::Host& host) {
  if (!host.live()) return ok_status();
  auto r = host.commands.run({kClient, "status", "sshd"}, {});
  if (!r) return Error{"cannot run fail2ban-client: " + r.error()};
  if (r->exit_code != 0)
    return Error{"the fail2ban sshd jail is not running: " + std::string(trim(r->err.empty() ? r->out : r->err))};
  return ok_status();
}

}  // namespace dh::steps
