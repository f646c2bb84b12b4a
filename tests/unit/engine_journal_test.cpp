#include <gtest/gtest.h>

#include "engine/journal.h"
#include "engine_test_support.h"
#include "steps/step.h"

namespace dh {
namespace {

using testing::FakeBox;

// A run killed (kill -9) after it backed up and announced the sshd_config write, and after the
// write itself, but before "done": the journal has begin without done and no run-end.
void add_killed_run(FakeBox& box) {
  auto& f = box.fake.files;
  f.add_dir("/var/lib/devbox-harden");
  f.add_dir("/var/lib/devbox-harden/backups");
  f.add("/var/lib/devbox-harden/backups/3", testing::kDebianSshdConfig, 0600);
  f.add("/var/lib/devbox-harden/lock", "5555\n", 0600);  // its pid is gone
  std::string j =
      R"({"event":"run-begin","command":"harden","run":"R1","seq":1,"time":1799999000})" "\n"
      R"({"event":"step-begin","step":5,"run":"R1","seq":2,"time":1799999000})" "\n"
      R"({"event":"begin","step":5,"kind":"file","action":"write","path":"/etc/ssh/sshd_config","existed":true,"backup":"/var/lib/devbox-harden/backups/3","mode":420,"uid":0,"gid":0,"size":)" +
      std::to_string(std::string(testing::kDebianSshdConfig).size()) + R"(,"run":"R1","seq":3,"time":1799999000})" "\n";
  f.add("/var/lib/devbox-harden/journal.jsonl", j, 0600);
  f.files["/etc/ssh/sshd_config"].content = "# half-written by the killed run\n";
}

TEST(JournalInterrupted, BeginWithoutDoneIsDetected) {
  FakeBox box;
  add_killed_run(box);
  auto records = box.journal();
  auto runs = engine::interrupted_runs(records, "");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].run, "R1");
  EXPECT_EQ(runs[0].steps, std::vector<int>{5});
  auto undo = engine::changes_to_undo(records, 5);
  ASSERT_EQ(undo.size(), 1u);
  EXPECT_EQ(undo[0]["path"], "/etc/ssh/sshd_config");
  EXPECT_EQ(engine::step_status(records, 5).state, engine::StepState::interrupted);
}

TEST(JournalInterrupted, NextHardenStopsAndOffersRollbackOrResume) {
  FakeBox box;
  add_killed_run(box);
  auto half = box.snapshot();
  EXPECT_EQ(box.engine().harden(box.only5()), 1);
  EXPECT_NE(box.out.str().find("stale lock"), std::string::npos);
  EXPECT_NE(box.out.str().find("was stopped half-way in step(s) 5"), std::string::npos) << box.out.str();
  EXPECT_NE(box.out.str().find("devbox-harden rollback --last"), std::string::npos);
  EXPECT_NE(box.out.str().find("devbox-harden harden --resume"), std::string::npos);
  EXPECT_EQ(box.snapshot(), half);  // it decided nothing on its own
}

TEST(JournalInterrupted, RollbackLastRestoresTheBackup) {
  FakeBox box;
  add_killed_run(box);
  EXPECT_EQ(box.engine().rollback({engine::RollbackTarget::Kind::last, 0}), 0) << box.err.str();
  EXPECT_EQ(box.fake.files.files.at("/etc/ssh/sshd_config").content, testing::kDebianSshdConfig);
  EXPECT_TRUE(engine::interrupted_runs(box.journal(), "").empty());
  // Now harden runs normally.
  EXPECT_EQ(box.engine().harden(box.only5()), 4) << box.out.str();
}

TEST(JournalInterrupted, ResumeUndoesTheHalfDoneStepThenRunsIt) {
  FakeBox box;
  add_killed_run(box);
  auto options = box.only5();
  options.resume = true;
  EXPECT_EQ(box.engine().harden(options), 4) << box.out.str();
  EXPECT_EQ(box.fake.files.files.at("/etc/ssh/sshd_config").content, testing::kDebianSshdConfig);
  EXPECT_TRUE(box.fake.files.files.count(steps::kSshDropIn));
  // rollback --all still reaches the true original (the killed run's backup).
  EXPECT_EQ(box.engine().rollback({engine::RollbackTarget::Kind::all, 0}), 0);
  EXPECT_FALSE(box.fake.files.files.count(steps::kSshDropIn));
  EXPECT_EQ(box.fake.files.files.at("/etc/ssh/sshd_config").content, testing::kDebianSshdConfig);
}

TEST(JournalFormat, AppendIsWriteAheadJsonLines) {
  FakeBox box;
  engine::Journal j(box.host(), engine::kDefaultStateDir);
  ASSERT_TRUE(j.ensure_dirs().ok());
  ASSERT_TRUE(j.load().ok());
  j.set_run("R9");
  ASSERT_TRUE(j.append({{"event", "run-begin"}}).ok());
  ASSERT_TRUE(j.append({{"event", "run-end"}}).ok());
  const auto& f = box.fake.files.files.at("/var/lib/devbox-harden/journal.jsonl");
  EXPECT_EQ(f.mode, 0600u);
  EXPECT_EQ(f.content,
            R"({"event":"run-begin","run":"R9","seq":1,"time":1800000000})" "\n"
            R"({"event":"run-end","run":"R9","seq":2,"time":1800000000})" "\n");
  // A torn or foreign line is skipped, not fatal.
  box.fake.files.files["/var/lib/devbox-harden/journal.jsonl"].content += "{\"event\":\"begi\n";
  engine::Journal again(box.host(), engine::kDefaultStateDir);
  ASSERT_TRUE(again.load().ok());
  EXPECT_EQ(again.records().size(), 2u);
  EXPECT_EQ(again.skipped_lines(), 1);
  EXPECT_EQ(again.next_seq(), 3);
}

}  // namespace
}  // namespace dh
