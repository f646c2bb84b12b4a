// Step 4 (ufw) against a fake ufw that keeps state the way ufw does: `ufw default` rewrites
// /etc/default/ufw, rules show in `ufw show added` whether or not ufw is active, and
// `ufw status verbose` shows defaults and rules only when active.
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "engine/change.h"
#include "fakes/fake_host.h"
#include "steps/fail2ban.h"
#include "steps/step.h"
#include "steps/steps_internal.h"

namespace dh::steps {
namespace {

struct FakeUfw {
  fake::FakeHost& h;
  std::string input = "DROP", output = "ACCEPT";
  std::vector<std::string> rules;  // as `ufw show added` prints them, without "ufw "
  bool active = false;
  std::vector<std::string> mutations;

  explicit FakeUfw(fake::FakeHost& host, std::string initial_input = "ACCEPT") : h(host), input(initial_input) {
    h.files.add("/usr/sbin/ufw", "#!/usr/bin/python3\n", 0755);
    write_defaults();
    h.commands.handlers["/usr/sbin/ufw show added"] = [this](auto&, auto&) {
      std::string out = "Added user rules (see 'ufw status' for running firewall):\n";
      for (const auto& r : rules) out += "ufw " + r + "\n";
      if (rules.empty()) out = "(None)\n";
      return Expected<host::CommandResult>(host::CommandResult{0, out, "", false});
    };
    h.commands.handlers["/usr/sbin/ufw status verbose"] = [this](auto&, auto&) {
      if (!active) return Expected<host::CommandResult>(host::CommandResult{0, "Status: inactive\n", "", false});
      std::string out = "Status: active\nLogging: on (low)\nDefault: " + word(input) + " (incoming), " + word(output) +
                        " (outgoing), disabled (routed)\nNew profiles: skip\n\nTo                         Action      From\n"
                        "--                         ------      ----\n";
      for (const auto& r : rules) {
        if (r == "allow in on tailscale0") out += "Anywhere on tailscale0     ALLOW IN    Anywhere\n";
        else out += r.substr(6) + "                  ALLOW IN    Anywhere\n";
      }
      return Expected<host::CommandResult>(host::CommandResult{0, out, "", false});
    };
    for (const char* policy : {"deny", "allow", "reject"})
      for (const char* direction : {"incoming", "outgoing"})
        mutate(std::string("default ") + policy + " " + direction, [this, policy, direction] {
          std::string value = std::string(policy) == "deny" ? "DROP" : std::string(policy) == "allow" ? "ACCEPT" : "REJECT";
          (std::string(direction) == "incoming" ? input : output) = value;
          write_defaults();
        });
    for (std::string rule : {"allow in on tailscale0", "allow 41641/udp", "allow 41700/udp"}) {
      mutate(rule, [this, rule] {
        if (std::find(rules.begin(), rules.end(), rule) == rules.end()) rules.push_back(rule);
      });
      mutate("delete " + rule, [this, rule] { rules.erase(std::remove(rules.begin(), rules.end(), rule), rules.end()); });
    }
    mutate("--force enable", [this] { active = true; });
    mutate("disable", [this] { active = false; });
  }

  static std::string word(const std::string& policy) {
    return policy == "DROP" ? "deny" : policy == "REJECT" ? "reject" : "allow";
  }
  void write_defaults() {
    h.files.add("/etc/default/ufw", "IPV6=yes\nDEFAULT_INPUT_POLICY=\"" + input + "\"\nDEFAULT_OUTPUT_POLICY=\"" +
                                        output + "\"\nDEFAULT_FORWARD_POLICY=\"DROP\"\n");
  }
  void mutate(const std::string& args, std::function<void()> effect) {
    h.commands.handlers["/usr/sbin/ufw " + args] = [this, args, effect](auto&, auto&) {
      mutations.push_back(args);
      effect();
      return Expected<host::CommandResult>(host::CommandResult{0, "", "", false});
    };
  }
};

// Applies for real through the fake host and keeps the undo list, like the engine's applier.
class RunningApplier : public engine::Applier {
 public:
  explicit RunningApplier(host::Host& host) : host_(host) {}
  bool dry_run() const override { return false; }
  Status write_file(const std::string& path, const engine::FileState&, const std::string& content, mode_t mode,
                    uid_t uid, gid_t gid) override {
    ++count_;
    return host_.files.write_atomic(path, content, mode, uid, gid);
  }
  Status remove_file(const std::string& path, const engine::FileState&) override {
    ++count_;
    return host_.files.remove(path);
  }
  Status run_command(const std::vector<std::string>& argv, const std::vector<std::string>& undo) override {
    ++count_;
    undos.push_back(undo);
    auto r = host_.commands.run(argv, {});
    if (!r) return Error{r.error()};
    return r->exit_code == 0 ? ok_status() : Status(Error{"exit " + std::to_string(r->exit_code)});
  }
  void note(const std::string& line) override { notes.push_back(line); }
  std::vector<std::vector<std::string>> undos;
  std::vector<std::string> notes;

 private:
  host::Host& host_;
};

int apply(Step& step, host::Host& host, engine::Applier& applier) {
  auto plan = step.plan(host, Options{});
  EXPECT_TRUE(plan.ok()) << plan.error();
  if (!plan) return -1;
  int changed = 0;
  for (auto& change : plan->changes) {
    auto done = change->check_apply(host, applier);
    EXPECT_TRUE(done.ok()) << change->describe() << ": " << done.error();
    if (done && !*done) ++changed;
  }
  return changed;
}

TEST(StepsFirewall, PlanIsTheRunbooksRulesAndChangesNothing) {
  fake::FakeHost h;
  FakeUfw ufw(h);
  ufw.output = "DROP";
  ufw.write_defaults();
  auto step = make_firewall_step();
  std::ostringstream out;
  engine::DryRunApplier dry(out);
  EXPECT_EQ(apply(*step, h.host, dry), 5);
  EXPECT_TRUE(ufw.mutations.empty());
  EXPECT_TRUE(h.files.writes.empty());
  const std::string plan = out.str();
  for (const char* line : {"run: /usr/sbin/ufw default deny incoming", "run: /usr/sbin/ufw default allow outgoing",
                           "run: /usr/sbin/ufw allow in on tailscale0", "run: /usr/sbin/ufw allow 41641/udp",
                           "run: /usr/sbin/ufw --force enable", "(undo: /usr/sbin/ufw default allow incoming)",
                           "(undo: /usr/sbin/ufw delete allow in on tailscale0)", "(undo: /usr/sbin/ufw disable)"})
    EXPECT_NE(plan.find(line), std::string::npos) << line << "\n" << plan;
}

TEST(StepsFirewall, ApplyVerifiesAndASecondRunChangesNothing) {
  fake::FakeHost h;
  FakeUfw ufw(h);
  auto step = make_firewall_step();
  RunningApplier applier(h.host);
  // Outgoing is already "allow" (ufw's default): the other four need doing, after the bytes of
  // ufw's files were backed up (rewritten unchanged through the applier).
  const auto defaults_before = h.files.files.at("/etc/default/ufw").content;
  EXPECT_EQ(apply(*step, h.host, applier), 5);
  EXPECT_EQ(h.files.writes.front(), "write /etc/default/ufw");
  EXPECT_TRUE(ufw.active);
  EXPECT_EQ(ufw.input, "DROP");
  EXPECT_TRUE(step->verify(h.host, Options{}).ok());
  EXPECT_EQ(ufw.mutations.back(), "--force enable") << "the firewall goes on only after its rules exist";

  RunningApplier again(h.host);
  EXPECT_EQ(apply(*step, h.host, again), 0);
  EXPECT_EQ(again.count(), 0);

  // The undos, run newest first, give back the firewall as it was.
  for (auto it = applier.undos.rbegin(); it != applier.undos.rend(); ++it) ASSERT_TRUE(h.commands.run(*it, {}).ok());
  EXPECT_FALSE(ufw.active);
  EXPECT_EQ(ufw.input, "ACCEPT");
  EXPECT_TRUE(ufw.rules.empty());
  EXPECT_EQ(h.files.files.at("/etc/default/ufw").content, defaults_before);
}

TEST(StepsFirewall, UsesTheConfiguredWireGuardPort) {
  fake::FakeHost h;
  FakeUfw ufw(h);
  h.files.add("/etc/default/tailscaled", "PORT=\"41700\"\nFLAGS=\"\"\n");
  auto step = make_firewall_step();
  RunningApplier applier(h.host);
  apply(*step, h.host, applier);
  EXPECT_NE(std::find(ufw.rules.begin(), ufw.rules.end(), "allow 41700/udp"), ufw.rules.end());
  EXPECT_EQ(std::find(ufw.rules.begin(), ufw.rules.end(), "allow 41641/udp"), ufw.rules.end());
  EXPECT_TRUE(step->verify(h.host, Options{}).ok());
}

TEST(StepsFirewall, VerifyCatchesAFirewallWithoutTheTunnelRule) {
  fake::FakeHost h;
  FakeUfw ufw(h);
  ufw.active = true;
  ufw.input = "DROP";
  ufw.rules = {"allow 41641/udp"};
  auto verdict = make_firewall_step()->verify(h.host, Options{});
  ASSERT_FALSE(verdict.ok());
  EXPECT_NE(verdict.error().find("no rule allows tailscale0"), std::string::npos) << verdict.error();
}

TEST(StepsFirewall, RefusesUntilTheTailscaleGateWasConfirmedAndTailscale0IsUp) {
  fake::FakeHost h;
  FakeUfw ufw(h);
  auto step = make_firewall_step();
  Options options;
  auto verdict = step->preflight(h.host, options);
  ASSERT_FALSE(verdict.ok());
  EXPECT_NE(verdict.error().find("never confirmed"), std::string::npos) << verdict.error();

  options.journal = {{{"event", "gate-open"}, {"step", 3}, {"gate", "tailscale"}, {"token", "t"}, {"opened", 1}, {"seq", 1}, {"time", 1}},
                     {{"event", "gate-confirmed"}, {"step", 3}, {"token", "t"}, {"seq", 2}, {"time", 2}}};
  h.commands.reply("ip -j addr show dev tailscale0", "", 1, "Device \"tailscale0\" does not exist.\n");
  verdict = step->preflight(h.host, options);
  ASSERT_FALSE(verdict.ok());
  EXPECT_NE(verdict.error().find("no tailscale0"), std::string::npos) << verdict.error();
  h.commands.reply("ip -j addr show dev tailscale0",
                   R"([{"ifname":"tailscale0","flags":["POINTOPOINT","NOARP","UP","LOWER_UP"],)"
                   R"("addr_info":[{"family":"inet","local":"100.101.102.103","prefixlen":32}]}])");
  EXPECT_TRUE(step->preflight(h.host, options).ok()) << step->preflight(h.host, options).error();
}

TEST(StepsFirewall, WarnsThatDockerPortsBypassUfw) {
  fake::FakeHost h;
  FakeUfw ufw(h);
  h.files.add("/usr/bin/docker", "", 0755);
  auto plan = make_firewall_step()->plan(h.host, Options{});
  ASSERT_TRUE(plan.ok());
  bool warned = false;
  for (const auto& note : plan->notes) warned |= note.find("DOCKER-USER") != std::string::npos;
  EXPECT_TRUE(warned);
}

TEST(StepsFail2ban, JailBackendFollowsTheLogThatExists) {
  fake::FakeHost h;
  auto jail = fail2ban_jail(h.host);
  EXPECT_NE(jail.find("backend  = systemd"), std::string::npos) << "Debian 12 has no auth.log";
  EXPECT_NE(jail.find("ignoreip = 127.0.0.1/8 ::1 100.64.0.0/10 fd7a:115c:a1e0::/48"), std::string::npos);
  h.files.add("/var/log/auth.log", "");
  jail = fail2ban_jail(h.host);
  EXPECT_NE(jail.find("logpath  = /var/log/auth.log"), std::string::npos);
  EXPECT_EQ(jail.find("systemd"), std::string::npos);
}

}  // namespace
}  // namespace dh::steps
