#include <gtest/gtest.h>

#include <sstream>

#include "engine/change.h"
#include "engine_test_support.h"
#include "steps/step.h"

namespace dh {
namespace {

using testing::FakeBox;

std::string planned_content(FakeBox& box, const std::string& sftp, const std::string& path) {
  steps::Options options;
  options.sftp = sftp;
  auto plan = steps::find_step(5)->plan(box.host(), options);
  EXPECT_TRUE(plan.ok()) << plan.error();
  for (auto& c : plan->changes)
    if (auto* f = dynamic_cast<engine::FileContent*>(c.get()); f && f->path() == path) return f->content();
  return "<no change>";
}

TEST(StepsRegistry, NineStepsWithGatesAndNames) {
  const auto& r = steps::registry();
  ASSERT_EQ(r.size(), 9u);
  EXPECT_EQ(steps::find_step(2)->gate(), steps::GateKind::ssm);
  EXPECT_EQ(steps::find_step(3)->gate(), steps::GateKind::tailscale);
  EXPECT_TRUE(steps::find_step(4)->deadman());
  EXPECT_EQ(steps::find_step(5)->gate(), steps::GateKind::new_ssh);
  EXPECT_TRUE(steps::find_step(5)->deadman());
  EXPECT_TRUE(steps::find_step(6)->deadman());
  EXPECT_FALSE(steps::find_step(7)->deadman());
  EXPECT_TRUE(steps::find_step(3)->implemented());
  EXPECT_TRUE(steps::find_step(4)->implemented());
  EXPECT_FALSE(steps::find_step(6)->implemented());
  EXPECT_TRUE(steps::find_step(5)->implemented());
  EXPECT_EQ(*steps::parse_step("ssh"), 5);
  EXPECT_EQ(*steps::parse_step("5"), 5);
  EXPECT_FALSE(steps::parse_step("10").ok());
}

TEST(StepsSsh, AuthorizedKeyLines) {
  EXPECT_TRUE(steps::is_valid_authorized_key_line(testing::kAliceKey));
  EXPECT_TRUE(steps::is_valid_authorized_key_line(std::string("from=\"10.0.0.0/8\",no-pty ") + testing::kAliceKey));
  EXPECT_TRUE(steps::is_valid_authorized_key_line(std::string("  ") + testing::kAliceKey + "  "));
  EXPECT_FALSE(steps::is_valid_authorized_key_line(std::string("# ") + testing::kAliceKey));
  EXPECT_FALSE(steps::is_valid_authorized_key_line("ssh-ed25519 notbase64!! x"));
  // A blob of another key type (the type inside the blob must match).
  EXPECT_FALSE(steps::is_valid_authorized_key_line(
      "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIAzW2esCvTv154kI8SeeGDWXlm7gd8D8900Wvvl/ST/b x"));
  EXPECT_FALSE(steps::is_valid_authorized_key_line("ssh-dss AAAAB3NzaC1kc3MAAACBAP x"));
  EXPECT_FALSE(steps::is_valid_authorized_key_line(""));
}

TEST(StepsSsh, UserKeyEvidenceFollowsStrictModes) {
  FakeBox box;
  auto ok = steps::user_key_evidence(box.host(), "alice");
  ASSERT_TRUE(ok.ok()) << ok.error();
  EXPECT_EQ(*ok, "/home/alice/.ssh/authorized_keys: 1 valid key(s)");
  box.fake.files.files["/home/alice/.ssh/authorized_keys"].mode = 0664;
  EXPECT_NE(steps::user_key_evidence(box.host(), "alice").error().find("sshd ignores it"), std::string::npos);
  EXPECT_NE(steps::user_key_evidence(box.host(), "bob").error().find("not in /etc/passwd"), std::string::npos);
  EXPECT_NE(steps::user_key_evidence(box.host(), "nobody").error().find("no login shell"), std::string::npos);
}

TEST(StepsSsh, DropInSortsFirstAndHoldsTheRunbookSettings) {
  FakeBox box;
  auto dropin = planned_content(box, "keep", steps::kSshDropIn);
  EXPECT_LT(std::string("00-devbox-harden.conf"), std::string("50-cloud-init.conf"));
  for (const char* line : {"PermitRootLogin no\n", "PasswordAuthentication no\n", "KbdInteractiveAuthentication no\n",
                           "AuthenticationMethods publickey\n", "X11Forwarding no\n", "AllowAgentForwarding no\n",
                           "PermitTunnel no\n", "MaxAuthTries 3\n", "MaxSessions 5\n", "LoginGraceTime 30\n",
                           "ClientAliveInterval 300\n", "ClientAliveCountMax 2\n"})
    EXPECT_NE(dropin.find(line), std::string::npos) << line;
  EXPECT_EQ(dropin.find("AllowTcpForwarding"), std::string::npos);  // VS Code Remote needs it: left alone
  EXPECT_EQ(planned_content(box, "keep", "/etc/ssh/sshd_config"), "<no change>");
}

TEST(StepsSsh, SftpYesAddsInternalSftpOnlyWhenNoneIsDefined) {
  FakeBox box;
  EXPECT_EQ(planned_content(box, "yes", steps::kSshDropIn).find("Subsystem"), std::string::npos);
  box.fake.files.files["/etc/ssh/sshd_config"].content = "Include /etc/ssh/sshd_config.d/*.conf\nUsePAM yes\n";
  EXPECT_NE(planned_content(box, "yes", steps::kSshDropIn).find("Subsystem sftp internal-sftp\n"), std::string::npos);
}

TEST(StepsSsh, SftpNoCommentsOutTheExistingSubsystem) {
  FakeBox box;
  auto main = planned_content(box, "no", "/etc/ssh/sshd_config");
  EXPECT_NE(main.find("# disabled by devbox-harden (--sftp no): Subsystem\tsftp\t/usr/lib/openssh/sftp-server\n"),
            std::string::npos) << main;
  EXPECT_EQ(planned_content(box, "no", steps::kSshDropIn).find("Subsystem"), std::string::npos);
}

TEST(StepsSsh, MissingIncludeIsAddedAtTheTop) {
  FakeBox box;
  box.fake.files.files["/etc/ssh/sshd_config"].content = "PermitRootLogin yes\n";
  auto main = planned_content(box, "keep", "/etc/ssh/sshd_config");
  EXPECT_TRUE(main.find("Include /etc/ssh/sshd_config.d/*.conf\n") < main.find("PermitRootLogin yes"));
}

TEST(StepsSsh, ReloadDependsOnSystemdAndSocketActivation) {
  FakeBox box;
  std::string why;
  EXPECT_TRUE(steps::sshd_reload_argv(box.host(), why).empty());
  EXPECT_NE(why.find("systemd is not running"), std::string::npos);
  box.fake.processes.systemd = true;
  box.fake.commands.reply("systemctl is-active --quiet ssh.socket", "", 3);
  box.fake.commands.reply("systemctl is-active --quiet ssh.service", "", 0);
  EXPECT_EQ(steps::sshd_reload_argv(box.host(), why), (std::vector<std::string>{"systemctl", "reload", "ssh.service"}));
  box.fake.commands.reply("systemctl is-active --quiet ssh.socket", "", 0);
  EXPECT_TRUE(steps::sshd_reload_argv(box.host(), why).empty());
  EXPECT_NE(why.find("ssh.socket is active"), std::string::npos);
  fake::FakeHost tree("/srv/tree");
  EXPECT_TRUE(steps::sshd_reload_argv(tree.host, why).empty());
  EXPECT_NE(why.find("--root /srv/tree"), std::string::npos);
}

TEST(StepsSsh, WithoutSystemdSighupGoesToThePidInRunSshdPid) {
  FakeBox box;
  std::string why;
  box.fake.files.add("/run/sshd.pid", "4711\n");
  EXPECT_TRUE(steps::sshd_reload_argv(box.host(), why).empty()) << "no such process: nothing to signal";
  box.fake.processes.proc["4711/comm"] = "cron\n";
  EXPECT_TRUE(steps::sshd_reload_argv(box.host(), why).empty()) << "a reused pid that is not sshd";
  box.fake.processes.proc["4711/comm"] = "sshd\n";
  EXPECT_EQ(steps::sshd_reload_argv(box.host(), why), (std::vector<std::string>{"kill", "-HUP", "4711"}));
}

std::vector<std::string> described(FakeBox& box) {
  auto plan = steps::find_step(5)->plan(box.host(), steps::Options{});
  EXPECT_TRUE(plan.ok()) << plan.error();
  std::vector<std::string> out;
  if (plan)
    for (const auto& c : plan->changes) out.push_back(c->describe());
  return out;
}

TEST(StepsSsh, RootKeysGoOnlyWhenAnotherSudoUserHasAKey) {
  FakeBox box;
  box.fake.files.add("/root/.ssh/authorized_keys", std::string(testing::kAliceKey) + "\n", 0600);
  box.fake.files.add("/etc/group", "root:x:0:\nsudo:x:27:\nalice:x:1000:\n");
  auto changes = described(box);
  EXPECT_NE(std::find(changes.begin(), changes.end(), "remove /root/.ssh/authorized_keys"), changes.end());
  auto refused = steps::find_step(5)->preflight(box.host(), steps::Options{});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("refusing to remove root's keys"), std::string::npos) << refused.error();
  box.fake.files.add("/etc/group", "root:x:0:\nsudo:x:27:alice\nalice:x:1000:\n");
  described(box);
  EXPECT_TRUE(steps::find_step(5)->preflight(box.host(), steps::Options{}).ok());

  box.fake.files.files.erase("/root/.ssh/authorized_keys");
  changes = described(box);
  EXPECT_EQ(std::find(changes.begin(), changes.end(), "remove /root/.ssh/authorized_keys"), changes.end());
}

TEST(StepsSsh, Fail2banJailIsPartOfTheStep) {
  FakeBox box;
  auto changes = described(box);
  EXPECT_NE(std::find(changes.begin(), changes.end(), "write /etc/fail2ban/jail.d/devbox-harden.local"), changes.end());
}

}  // namespace
}  // namespace dh
