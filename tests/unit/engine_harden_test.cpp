#include <gtest/gtest.h>

#include <algorithm>

#include "engine/engine.h"
#include "engine/journal.h"
#include "engine_test_support.h"
#include "steps/step.h"

namespace dh {
namespace {

using testing::FakeBox;

bool mutating(const std::string& command) {
  // Read-only commands step 5 and the engine may run while planning.
  for (const char* ro : {"/usr/sbin/sshd -T", "/usr/sbin/sshd -t", "systemctl is-active", "tailscale ip", "ip -j addr",
                         "/usr/bin/fail2ban-client ping", "/usr/bin/fail2ban-client status"})
    if (command.starts_with(ro)) return false;
  return true;
}

size_t count_events(const std::vector<nlohmann::json>& records, const std::string& event) {
  return std::count_if(records.begin(), records.end(), [&](const auto& r) { return r.value("event", "") == event; });
}

TEST(EnginePlan, WritesNothingAndRunsNoMutatingCommand) {
  FakeBox box;
  auto before = box.snapshot();
  steps::Options options;
  options.sftp = "no";
  EXPECT_EQ(box.engine().plan({}, options), 0);
  EXPECT_TRUE(box.fake.files.writes.empty()) << box.fake.files.writes.front();
  for (const auto& c : box.fake.commands.ran) EXPECT_FALSE(mutating(c)) << c;
  EXPECT_TRUE(box.fake.processes.spawned.empty());
  EXPECT_EQ(box.snapshot(), before);
  // The plan shows the real diff: the drop-in and the commented-out sftp line.
  auto text = box.out.str();
  EXPECT_NE(text.find("+PasswordAuthentication no"), std::string::npos) << text;
  EXPECT_NE(text.find("+++ b/etc/ssh/sshd_config.d/00-devbox-harden.conf"), std::string::npos);
  EXPECT_NE(text.find("-Subsystem\tsftp\t/usr/lib/openssh/sftp-server"), std::string::npos) << text;
  EXPECT_NE(text.find("Step 2: SSM escape hatch (out-of-band access)\n    not implemented yet — later issue"),
            std::string::npos);
}

TEST(EnginePlan, HardenDryRunIsThePlanAndTouchesNothing) {
  FakeBox plan_box, dry_box;
  EXPECT_EQ(plan_box.engine().plan({5}, plan_box.only5().step), 0);
  auto options = dry_box.only5();
  options.dry_run = true;
  EXPECT_EQ(dry_box.engine().harden(options), 0);
  EXPECT_TRUE(dry_box.fake.files.writes.empty());
  EXPECT_TRUE(dry_box.fake.processes.spawned.empty());
  EXPECT_EQ(dry_box.out.str(), "Dry run: nothing is changed.\n" + plan_box.out.str());
}

TEST(EngineHarden, AppliesStep5GateThenSecondRunChangesNothing) {
  FakeBox box;
  EXPECT_EQ(box.engine().harden(box.only5("yes")), 4) << box.out.str() << box.err.str();
  const auto& dropin = box.fake.files.files.at(steps::kSshDropIn);
  EXPECT_NE(dropin.content.find("PasswordAuthentication no\n"), std::string::npos);
  // sshd_config already defines sftp: a second Subsystem line would be fatal for sshd.
  EXPECT_EQ(dropin.content.find("Subsystem"), std::string::npos);
  EXPECT_EQ(dropin.mode, 0644u);
  ASSERT_EQ(box.fake.processes.spawned.size(), 1u);
  auto token = box.token_of_open_gate();
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(box.fake.processes.spawned[0], "/usr/local/bin/devbox-harden deadman --root / --state-dir "
                                           "/var/lib/devbox-harden --token " + token +
                                               " >>/var/lib/devbox-harden/deadman.log");
  EXPECT_NE(box.out.str().find("sudo devbox-harden confirm"), std::string::npos);

  // A harden while the gate waits changes nothing and says what to do.
  auto writes = box.system_writes();
  EXPECT_EQ(box.engine().harden(box.only5("yes")), 4);
  EXPECT_EQ(box.system_writes(), writes);

  // Confirm from a NEW ssh session.
  box.advance(20);
  box.add_ssh_session(testing::kBoxPublic22, testing::kLaptopPublic, box.now() - 3);
  EXPECT_EQ(box.engine().confirm(), 0) << box.out.str();
  EXPECT_EQ(box.fake.processes.killed, std::vector<std::string>{"9000 15"});
  EXPECT_EQ(engine::step_status(box.journal(), 5).state, engine::StepState::done);

  // Second run: nothing to do, zero writes outside the state dir, no new timer.
  box.out.str("");
  writes = box.system_writes();
  EXPECT_EQ(box.engine().harden(box.only5("yes")), 0) << box.out.str();
  EXPECT_EQ(box.system_writes(), writes);
  EXPECT_NE(box.out.str().find("nothing to do"), std::string::npos);
  EXPECT_EQ(box.fake.processes.spawned.size(), 1u);
  // The dead-man that survived the kill finds the gate confirmed and does nothing.
  auto snap = box.snapshot();
  EXPECT_EQ(box.engine().deadman(token), 0);
  EXPECT_EQ(box.snapshot(), snap);
}

TEST(EngineHarden, RefusesWithoutAValidKeyForTheLoginUser) {
  FakeBox box;
  box.fake.files.files["/home/alice/.ssh/authorized_keys"].content = "ssh-ed25519 notbase64 alice\n";
  auto before = box.snapshot();
  EXPECT_EQ(box.engine().harden(box.only5()), 1);
  EXPECT_NE(box.out.str().find("REFUSED: refusing to disable password logins"), std::string::npos) << box.out.str();
  EXPECT_EQ(box.snapshot(), before);
  box.fake.env.vars.erase("SUDO_USER");
  box.fake.files.files["/home/alice/.ssh/authorized_keys"].content = std::string(testing::kAliceKey) + "\n";
  before = box.snapshot();
  EXPECT_EQ(box.engine().harden(box.only5()), 1);
  EXPECT_NE(box.out.str().find("SUDO_USER is unset"), std::string::npos);
  EXPECT_EQ(box.snapshot(), before);
}

TEST(EngineFault, InjectedWriteFailureMidStepLeavesEveryFileByteIdentical) {
  // Find the mutation index of the drop-in write in a clean run (--sftp no: sshd_config is
  // written first, then the drop-in), then fail exactly that one on a fresh box.
  FakeBox probe;
  probe.fake.files.files["/etc/ssh/sshd_config"].mode = 0640;
  probe.fake.files.files["/etc/ssh/sshd_config"].gid = 4;
  EXPECT_EQ(probe.engine().harden(probe.only5("no")), 4);
  const auto& w = probe.fake.files.writes;
  auto main_at = std::find(w.begin(), w.end(), "write /etc/ssh/sshd_config");
  auto dropin_at = std::find(w.begin(), w.end(), std::string("write ") + steps::kSshDropIn);
  ASSERT_NE(dropin_at, w.end());
  ASSERT_LT(main_at, dropin_at);  // the failure really is in the middle of the step

  FakeBox box;
  box.fake.files.files["/etc/ssh/sshd_config"].mode = 0640;
  box.fake.files.files["/etc/ssh/sshd_config"].gid = 4;
  auto before = box.snapshot();
  box.fake.files.fail_on_mutation = static_cast<int>(dropin_at - w.begin()) + 1;
  EXPECT_EQ(box.engine().harden(box.only5("no")), 3) << box.out.str();
  EXPECT_NE(box.err.str().find("injected failure"), std::string::npos) << box.err.str();
  EXPECT_NE(std::find(box.fake.files.writes.begin(), box.fake.files.writes.end(), "write /etc/ssh/sshd_config"),
            box.fake.files.writes.end());
  EXPECT_EQ(box.snapshot(), before);
  EXPECT_TRUE(box.fake.processes.spawned.empty());
  EXPECT_EQ(engine::step_status(box.journal(), 5).state, engine::StepState::failed);
}

TEST(EngineFault, SshdRejectingTheConfigRollsBackAtOnce) {
  FakeBox box;
  box.sshd_t_exit = 255;
  auto before = box.snapshot();
  EXPECT_EQ(box.engine().harden(box.only5("no")), 3);
  EXPECT_NE(box.err.str().find("sshd -t rejected the configuration: /etc/ssh/sshd_config line 3"), std::string::npos)
      << box.err.str();
  EXPECT_EQ(box.snapshot(), before);
}

TEST(EngineFault, VerifyFailureRollsBack) {
  FakeBox box;
  // sshd -T says passwords are still on (e.g. a Match block or an earlier include won).
  box.fake.commands.handlers["/usr/sbin/sshd -T"] = [](const auto&, const auto&) -> Expected<host::CommandResult> {
    return host::CommandResult{0, "passwordauthentication yes\npermitrootlogin no\n", "", false};
  };
  auto before = box.snapshot();
  EXPECT_EQ(box.engine().harden(box.only5()), 3);
  EXPECT_NE(box.err.str().find("PasswordAuthentication is yes (wanted no)"), std::string::npos) << box.err.str();
  EXPECT_EQ(box.snapshot(), before);
}

TEST(EngineRollback, AllRestoresContentModeOwnerAndIsIdempotent) {
  FakeBox box;
  // No Include: step 5 must add one to sshd_config (and back it up) besides the drop-in.
  box.fake.files.files["/etc/ssh/sshd_config"] = {host::FileInfo::Type::regular,
                                                  "PermitRootLogin yes\nSubsystem sftp /usr/lib/openssh/sftp-server\n",
                                                  0600, 0, 4};
  auto before = box.snapshot();
  EXPECT_EQ(box.engine().harden(box.only5("no")), 4) << box.out.str();
  EXPECT_TRUE(box.fake.files.files.at("/etc/ssh/sshd_config").content.find("Include /etc/ssh/sshd_config.d/*.conf") !=
              std::string::npos);
  EXPECT_NE(box.snapshot(), before);
  engine::RollbackTarget all{engine::RollbackTarget::Kind::all, 0};
  EXPECT_EQ(box.engine().rollback(all), 0) << box.out.str() << box.err.str();
  EXPECT_EQ(box.snapshot(), before);
  EXPECT_EQ(box.fake.processes.killed, std::vector<std::string>{"9000 15"});
  EXPECT_EQ(engine::step_status(box.journal(), 5).state, engine::StepState::rolled_back);
  EXPECT_FALSE(engine::open_gate(box.journal()));
  auto writes = box.system_writes();
  box.out.str("");
  EXPECT_EQ(box.engine().rollback(all), 0);
  EXPECT_EQ(box.system_writes(), writes);
  EXPECT_NE(box.out.str().find("Nothing to roll back"), std::string::npos);
}

TEST(EngineDeadman, RollsBackWhenNotConfirmedByTheDeadline) {
  FakeBox box;
  auto before = box.snapshot();
  auto options = box.only5();
  options.confirm_timeout = 3;
  EXPECT_EQ(box.engine().harden(options), 4);
  auto token = box.token_of_open_gate();
  box.advance(4);
  EXPECT_EQ(box.engine().deadman(token), 0) << box.out.str() << box.err.str();
  EXPECT_EQ(box.snapshot(), before);
  auto records = box.journal();
  EXPECT_EQ(count_events(records, "deadman-fired"), 1u);
  EXPECT_EQ(engine::step_status(records, 5).state, engine::StepState::rolled_back);
  // A confirmation arriving after the deadline is refused.
  box.add_ssh_session(testing::kBoxPublic22, testing::kLaptopPublic, box.now() - 1);
  EXPECT_EQ(box.engine().confirm(), 0);
  EXPECT_NE(box.out.str().find("Nothing is waiting for confirmation"), std::string::npos);
}

TEST(EngineDeadman, ConfirmAfterDeadlineIsRefusedAndHardenRollsBack) {
  FakeBox box;
  auto before = box.snapshot();
  auto options = box.only5();
  options.confirm_timeout = 3;
  EXPECT_EQ(box.engine().harden(options), 4);
  box.advance(10);  // the timer never fired (say the machine was busy)
  box.add_ssh_session(testing::kBoxPublic22, testing::kLaptopPublic, box.now() - 1);
  EXPECT_EQ(box.engine().confirm(), 1);
  EXPECT_NE(box.out.str().find("Too late"), std::string::npos);
  options.only = {1};
  EXPECT_EQ(box.engine().harden(options), 0) << box.out.str();
  EXPECT_EQ(box.snapshot(), before);
}

TEST(EngineDeadman, SystemdRunArgvWhenSystemdIsPid1) {
  FakeBox box;
  box.fake.processes.systemd = true;
  box.fake.commands.reply("systemctl is-active --quiet ssh.socket", "", 3);
  box.fake.commands.reply("systemctl is-active --quiet ssh.service", "", 0);
  box.fake.commands.reply("systemctl reload ssh.service", "", 0);
  auto options = box.only5();
  options.confirm_timeout = 90;
  auto& cmds = box.fake.commands;
  EXPECT_EQ(box.engine().harden(options), 3);  // systemd-run unknown to the fake: arming fails -> rolled back
  auto token = engine::gate_states(box.journal()).back().token;
  std::string expected = "systemd-run --unit=devbox-harden-deadman-" + token +
                         " --description=devbox-harden dead-man timer: rolls back unless confirmed --on-active=90s "
                         "--timer-property=AccuracySec=1s --collect /usr/local/bin/devbox-harden deadman --root / "
                         "--state-dir /var/lib/devbox-harden --token " + token;
  EXPECT_NE(std::find(cmds.ran.begin(), cmds.ran.end(), expected), cmds.ran.end());
  EXPECT_NE(std::find(cmds.ran.begin(), cmds.ran.end(), "systemctl reload ssh.service"), cmds.ran.end());
  EXPECT_NE(box.out.str().find("a change that can cut access is never left without it"), std::string::npos);
  EXPECT_TRUE(box.fake.processes.spawned.empty());
}

TEST(EngineDeadman, SystemdTimerArmedAndStoppedOnConfirm) {
  FakeBox box;
  box.fake.processes.systemd = true;
  box.fake.commands.reply("systemctl is-active --quiet ssh.socket", "", 0);  // Ubuntu 24.04: socket-activated
  auto& cmds = box.fake.commands;
  auto options = box.only5();
  options.confirm_timeout = 60;
  // The run id is derived from the fake clock and pid, so the token is predictable.
  std::string token = "20270115T080000-4242-s5";
  std::string line = "systemd-run --unit=devbox-harden-deadman-" + token +
                     " --description=devbox-harden dead-man timer: rolls back unless confirmed --on-active=60s "
                     "--timer-property=AccuracySec=1s --collect /usr/local/bin/devbox-harden deadman --root / "
                     "--state-dir /var/lib/devbox-harden --token " + token;
  cmds.reply(line, "Running timer as unit: devbox-harden-deadman-" + token + ".timer\n");
  std::string stop = "systemctl stop devbox-harden-deadman-" + token + ".timer devbox-harden-deadman-" + token + ".service";
  cmds.reply(stop, "");
  EXPECT_EQ(box.engine().harden(options), 4) << box.out.str();
  EXPECT_EQ(box.token_of_open_gate(), token);
  // ssh.socket is active: no reload of ssh.service.
  EXPECT_EQ(std::count_if(cmds.ran.begin(), cmds.ran.end(), [](auto& c) { return c.starts_with("systemctl reload"); }), 0);
  box.advance(5);
  box.add_ssh_session(testing::kBoxPublic22, testing::kLaptopPublic, box.now() - 1);
  EXPECT_EQ(box.engine().confirm(), 0) << box.out.str();
  EXPECT_NE(std::find(cmds.ran.begin(), cmds.ran.end(), stop), cmds.ran.end());
}

TEST(EngineLock, StaleLockIsTakenOverLiveLockRefused) {
  FakeBox box;
  box.fake.files.add_dir("/var/lib/devbox-harden");
  box.fake.files.add("/var/lib/devbox-harden/lock", "31337\n", 0600);
  EXPECT_EQ(box.engine().harden(box.only5()), 4);
  EXPECT_NE(box.out.str().find("taking over a stale lock"), std::string::npos);
  EXPECT_FALSE(box.fake.files.files.count("/var/lib/devbox-harden/lock"));  // released

  FakeBox busy;
  busy.fake.files.add_dir("/var/lib/devbox-harden");
  busy.fake.files.add("/var/lib/devbox-harden/lock", "777\n", 0600);
  busy.fake.processes.alive.insert(777);
  auto before = busy.snapshot();
  EXPECT_EQ(busy.engine().harden(busy.only5()), 1);
  EXPECT_NE(busy.err.str().find("another devbox-harden run (pid 777)"), std::string::npos);
  EXPECT_EQ(busy.snapshot(), before);
}

TEST(EngineStatus, ShowsWaitingGateWithDeadlineAndNotImplementedSteps) {
  FakeBox box;
  EXPECT_EQ(box.engine().harden(box.only5()), 4);
  box.out.str("");
  EXPECT_EQ(box.engine().status(), 4);
  auto text = box.out.str();
  EXPECT_NE(text.find("   5  waiting for a gate    SSH hardening"), std::string::npos) << text;
  EXPECT_NE(text.find("rolled back automatically at 2027-01-15 08:05:00 UTC (in 5m)"), std::string::npos) << text;
  EXPECT_NE(text.find("   6  not implemented yet   Security group"), std::string::npos) << text;
}

}  // namespace
}  // namespace dh

namespace dh {
namespace {

TEST(EngineRollback, CreatedDirectoriesAreRemovedAgain) {
  testing::FakeBox box;
  box.fake.files.files.erase("/etc/ssh/sshd_config.d/50-cloud-init.conf");  // no sshd_config.d at all
  ASSERT_FALSE(box.fake.files.exists("/etc/ssh/sshd_config.d"));
  auto before = box.snapshot();
  EXPECT_EQ(box.engine().harden(box.only5()), 4) << box.out.str();
  EXPECT_NE(box.out.str().find("create directory /etc/ssh/sshd_config.d"), std::string::npos);
  EXPECT_EQ(box.engine().rollback({engine::RollbackTarget::Kind::step, 5}), 0) << box.err.str();
  EXPECT_EQ(box.snapshot(), before);
  EXPECT_FALSE(box.fake.files.exists("/etc/ssh/sshd_config.d"));
}

// Files that "kill -9" the run at the Nth mutation: the exception stops the engine dead, without
// any of its cleanup reaching the disk except what a real kill would also leave (the lock stays).
struct Killed {};
class KillingFiles : public host::Files {
 public:
  KillingFiles(fake::FakeFiles& inner, int kill_at) : inner_(inner), kill_at_(kill_at) {}
  Expected<std::string> read(const std::string& p) override { return inner_.read(p); }
  Expected<std::vector<std::string>> list_dir(const std::string& p) override { return inner_.list_dir(p); }
  Expected<std::string> read_link(const std::string& p) override { return inner_.read_link(p); }
  Expected<host::FileInfo> stat(const std::string& p) override { return inner_.stat(p); }
  Status write_atomic(const std::string& p, std::string_view c, mode_t m, uid_t u, gid_t g) override {
    tick();
    return inner_.write_atomic(p, c, m, u, g);
  }
  Status remove(const std::string& p) override {
    if (dead_) return ok_status();  // a killed process removes nothing (its lock stays behind)
    tick();
    return inner_.remove(p);
  }
  Status make_dirs(const std::string& p, mode_t m) override {
    if (!inner_.exists(p)) tick();
    return inner_.make_dirs(p, m);
  }
  Status create_exclusive(const std::string& p, std::string_view c, mode_t m) override {
    tick();
    return inner_.create_exclusive(p, c, m);
  }

 private:
  void tick() {
    if (++count_ == kill_at_) {
      dead_ = true;
      throw Killed{};
    }
  }
  fake::FakeFiles& inner_;
  int kill_at_;
  int count_ = 0;
  bool dead_ = false;
};

TEST(JournalInterrupted, KillBetweenTwoChangesIsDetectedAndRolledBack) {
  // Where is the drop-in write in a clean run with --sftp no (sshd_config first, then the drop-in)?
  testing::FakeBox probe;
  EXPECT_EQ(probe.engine().harden(probe.only5("no")), 4);
  const auto& w = probe.fake.files.writes;
  auto dropin_at = std::find(w.begin(), w.end(), std::string("write ") + steps::kSshDropIn) - w.begin();

  testing::FakeBox box;
  auto before = box.snapshot();
  KillingFiles killing(box.fake.files, static_cast<int>(dropin_at) + 1);  // dies just before the drop-in write
  host::Host dying{killing, box.fake.commands, box.fake.http, box.fake.clock, box.fake.env, "/", &box.fake.processes};
  {
    engine::Engine engine(dying, engine::kDefaultStateDir, box.out, box.err);
    EXPECT_THROW(engine.harden(box.only5("no")), Killed);
  }
  // The first change happened, the second did not: the tree is half-way.
  EXPECT_NE(box.fake.files.files.at("/etc/ssh/sshd_config").content, testing::kDebianSshdConfig);
  EXPECT_FALSE(box.fake.files.files.count(steps::kSshDropIn));
  EXPECT_TRUE(box.fake.files.files.count("/var/lib/devbox-harden/lock"));
  box.fake.processes.pid = 4343;  // the next run is another process; 4242 is dead
  box.advance(30);
  box.out.str("");
  EXPECT_EQ(box.engine().harden(box.only5("no")), 1);
  EXPECT_NE(box.out.str().find("stale lock"), std::string::npos) << box.out.str();
  EXPECT_NE(box.out.str().find("was stopped half-way in step(s) 5"), std::string::npos) << box.out.str();
  EXPECT_EQ(box.engine().rollback({engine::RollbackTarget::Kind::last, 0}), 0) << box.err.str();
  EXPECT_EQ(box.snapshot(), before);
  box.out.str("");
  EXPECT_EQ(box.engine().status(), 0);
  EXPECT_EQ(box.out.str().find("stopped half-way"), std::string::npos) << box.out.str();
}

}  // namespace
}  // namespace dh

namespace dh {
namespace {

TEST(EngineGate, AnAlreadyRunningTailnetMustStillBeProvenOnce) {
  testing::FakeBox box;
  auto& f = box.fake;
  f.files.add("/etc/os-release", "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n");
  f.files.add("/usr/bin/tailscale", "ELF", 0755);
  f.commands.reply("/usr/bin/tailscale status --json", "{\"BackendState\": \"Running\"}");
  f.commands.reply("/usr/bin/tailscale ip -4", "100.101.102.103\n");
  engine::HardenOptions options;
  options.only = {3};
  options.yes = true;
  EXPECT_EQ(box.engine().harden(options), 4) << box.out.str();
  EXPECT_NE(box.out.str().find("nothing to do"), std::string::npos);
  EXPECT_NE(box.out.str().find("never proven"), std::string::npos) << box.out.str();
  auto gates = engine::gate_states(box.journal());
  ASSERT_EQ(gates.size(), 1u);
  EXPECT_EQ(gates[0].step, 3);
  EXPECT_EQ(gates[0].kind, "tailscale");
  EXPECT_FALSE(gates[0].deadline.has_value()) << "nothing changed: no dead-man timer";
  EXPECT_TRUE(f.processes.spawned.empty());
  EXPECT_TRUE(box.system_writes().empty());
}

}  // namespace
}  // namespace dh

namespace dh {
namespace {

TEST(EngineFault, AMatchBlockThatReEnablesPasswordsFailsVerificationAndRollsBack) {
  testing::FakeBox box;
  auto& f = box.fake;
  f.files.add("/etc/ssh/sshd_config",
              std::string(testing::kDebianSshdConfig) + "Match Address 10.0.0.0/8\n    PasswordAuthentication yes\n");
  auto before = box.snapshot();
  f.commands.reply("/usr/sbin/sshd -T -C user=alice,host=client.example,addr=10.0.0.0",
                   "permitrootlogin no\npasswordauthentication yes\nkbdinteractiveauthentication no\n");
  EXPECT_EQ(box.engine().harden(box.only5()), 3) << box.out.str();
  EXPECT_NE(box.err.str().find("Match Address 10.0.0.0/8 sets passwordauthentication yes"), std::string::npos)
      << box.err.str();
  EXPECT_EQ(box.snapshot(), before);
}

}  // namespace
}  // namespace dh
