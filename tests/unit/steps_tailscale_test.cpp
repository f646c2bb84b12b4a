// Step 3 (Tailscale) against a fake `tailscale` CLI with login state.
#include <gtest/gtest.h>

#include <sstream>

#include "engine/change.h"
#include "fakes/fake_host.h"
#include "steps/step.h"
#include "steps/steps_internal.h"

namespace dh::steps {
namespace {

struct FakeTailscale {
  fake::FakeHost& h;
  bool running = false;
  std::vector<std::string> up_calls;

  explicit FakeTailscale(fake::FakeHost& host, bool installed = true) : h(host) {
    h.files.add("/etc/os-release", "ID=ubuntu\nVERSION_ID=\"24.04\"\nVERSION_CODENAME=noble\n");
    h.files.add_dir("/run");
    if (installed) h.files.add("/usr/bin/tailscale", "ELF", 0755);
    h.commands.handlers["/usr/bin/tailscale ip -4"] = [this](auto&, auto&) {
      return Expected<host::CommandResult>(running ? host::CommandResult{0, "100.101.102.103\n", "", false}
                                                   : host::CommandResult{1, "", "no current Tailscale IPs; state: NeedsLogin\n", false});
    };
    h.commands.handlers["/usr/bin/tailscale status --json"] = [this](auto&, auto&) {
      std::string state = running ? "Running" : "NeedsLogin";
      return Expected<host::CommandResult>(
          host::CommandResult{0, "{\"BackendState\": \"" + state + "\", \"AuthURL\": \"\"}", "", false});
    };
    auto up = [this](const std::vector<std::string>& argv, const host::RunOptions&) {
      std::string line;
      for (const auto& a : argv) line += (line.empty() ? "" : " ") + a;
      up_calls.push_back(line);
      bool with_key = line.find("--auth-key=file:/run/devbox-harden-tailscale.key") != std::string::npos;
      if (with_key) {
        auto key = h.files.read("/run/devbox-harden-tailscale.key");
        if (key && *key == "tskey-auth-test") running = true;
      }
      return Expected<host::CommandResult>(host::CommandResult{running ? 0 : 1, "", "", false});
    };
    h.commands.handlers["/usr/bin/tailscale up"] = up;
    h.commands.handlers["/usr/bin/tailscale up --auth-key=file:/run/devbox-harden-tailscale.key"] = up;
  }
};

class RecordingApplier : public engine::Applier {
 public:
  explicit RecordingApplier(host::Host& host) : host_(host) {}
  bool dry_run() const override { return false; }
  Status write_file(const std::string& path, const engine::FileState&, const std::string& content, mode_t mode,
                    uid_t uid, gid_t gid) override {
    ++count_;
    return host_.files.write_atomic(path, content, mode, uid, gid);
  }
  Status remove_file(const std::string& path, const engine::FileState&) override { return host_.files.remove(path); }
  Status run_command(const std::vector<std::string>& argv, const std::vector<std::string>& undo) override {
    ++count_;
    ran.push_back(engine::argv_text(argv) + " (undo: " + engine::argv_text(undo) + ")");
    auto r = host_.commands.run(argv, {});
    if (!r) return Error{r.error()};
    return r->exit_code == 0 ? ok_status() : Status(Error{"exit " + std::to_string(r->exit_code)});
  }
  void note(const std::string&) override {}
  std::vector<std::string> ran;

 private:
  host::Host& host_;
};

TEST(StepsTailscale, FreshBoxPlansTheRunbooksAptInstallThenUp) {
  fake::FakeHost h;
  FakeTailscale ts(h, /*installed=*/false);
  auto plan = make_tailscale_step()->plan(h.host, Options{});
  ASSERT_TRUE(plan.ok()) << plan.error();
  std::ostringstream out;
  engine::DryRunApplier dry(out);
  for (auto& change : plan->changes) ASSERT_TRUE(change->check_apply(h.host, dry).ok()) << change->describe();
  const std::string text = out.str();
  for (const char* expected :
       {"https://pkgs.tailscale.com/stable/ubuntu/noble.noarmor.gpg", "/usr/share/keyrings/tailscale-archive-keyring.gpg",
        "+deb [signed-by=/usr/share/keyrings/tailscale-archive-keyring.gpg] https://pkgs.tailscale.com/stable/ubuntu noble main",
        "run: apt-get install -y -q tailscale", "run: /usr/bin/tailscale up", "(undo: /usr/bin/tailscale down)"})
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
  EXPECT_TRUE(h.files.writes.empty());
  EXPECT_TRUE(ts.up_calls.empty()) << "a plan never runs tailscale up";
}

TEST(StepsTailscale, AlreadyOnTheTailnetIsNothingToDo) {
  fake::FakeHost h;
  FakeTailscale ts(h);
  ts.running = true;
  auto step = make_tailscale_step();
  auto plan = step->plan(h.host, Options{});
  ASSERT_TRUE(plan.ok());
  RecordingApplier applier(h.host);
  for (auto& change : plan->changes) EXPECT_TRUE(*change->check_apply(h.host, applier));
  EXPECT_EQ(applier.count(), 0);
  EXPECT_TRUE(step->verify(h.host, Options{}).ok());
}

TEST(StepsTailscale, AuthKeyGoesThroughAFileNeverIntoArgvOrTheJournal) {
  fake::FakeHost h;
  FakeTailscale ts(h);
  h.env.vars["TS_AUTHKEY"] = "tskey-auth-test";
  auto plan = make_tailscale_step()->plan(h.host, Options{});
  ASSERT_TRUE(plan.ok());
  RecordingApplier applier(h.host);
  for (auto& change : plan->changes) ASSERT_TRUE(change->check_apply(h.host, applier).ok());
  EXPECT_TRUE(ts.running);
  EXPECT_FALSE(h.files.exists("/run/devbox-harden-tailscale.key")) << "the key file is removed at once";
  for (const auto& line : applier.ran) EXPECT_EQ(line.find("tskey"), std::string::npos) << line;
  for (const auto& line : h.commands.ran) EXPECT_EQ(line.find("tskey"), std::string::npos) << line;
  ASSERT_EQ(applier.ran.size(), 1u);
  EXPECT_EQ(applier.ran[0], "/usr/bin/tailscale up (undo: /usr/bin/tailscale down)");
}

TEST(StepsTailscale, RefusesATree) {
  fake::FakeHost h("/srv/tree");
  FakeTailscale ts(h);
  auto plan = make_tailscale_step()->plan(h.host, Options{});
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.error().find("cannot join a tailnet"), std::string::npos);
}

TEST(StepsTailscale, TailscaleSshWarnsThatSshdHardeningDoesNotApply) {
  fake::FakeHost h;
  FakeTailscale ts(h);
  Options options;
  options.tailscale_ssh = true;
  auto plan = make_tailscale_step()->plan(h.host, options);
  ASSERT_TRUE(plan.ok());
  bool warned = false;
  for (const auto& note : plan->notes)
    warned |= note.find("bypass sshd") != std::string::npos && note.find("autogroup:nonroot") != std::string::npos;
  EXPECT_TRUE(warned);
}

}  // namespace
}  // namespace dh::steps
