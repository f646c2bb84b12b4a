// The real host on a scratch directory: root confinement, atomic writes, commands with output
// streaming and timeouts. Nothing outside a fresh temp directory is touched.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "host/real_host.h"

namespace dh::host {
namespace {

namespace fs = std::filesystem;

struct Scratch {
  fs::path dir;
  Scratch() {
    char tmpl[] = "/tmp/devbox-host-test.XXXXXX";
    dir = ::mkdtemp(tmpl);
  }
  ~Scratch() { fs::remove_all(dir); }
};

TEST(RealHostFiles, AnAbsoluteSymlinkInsideTheRootStaysInsideIt) {
  Scratch s;
  fs::create_directories(s.dir / "etc");
  std::ofstream(s.dir / "etc/hostname") << "tree\n";
  fs::create_symlink("/etc/hostname", s.dir / "etc/name-link");
  fs::create_symlink("../../../../../../etc/passwd", s.dir / "etc/escape");
  RealFiles files(s.dir.string());
  auto linked = files.read("/etc/name-link");
  ASSERT_TRUE(linked.ok()) << linked.error();
  EXPECT_EQ(*linked, "tree\n");
  EXPECT_FALSE(files.read("/etc/escape").ok()) << "../ above the root must not reach the host's /etc/passwd";
  auto link = files.read_link("/etc/name-link");
  ASSERT_TRUE(link.ok());
  EXPECT_EQ(*link, "/etc/hostname");
  auto info = files.stat("/etc/name-link");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->type, FileInfo::Type::symlink);
}

TEST(RealHostFiles, WriteAtomicReplacesWithModeAndLeavesNoTempFile) {
  Scratch s;
  fs::create_directories(s.dir / "etc/ssh");
  RealFiles files(s.dir.string());
  ASSERT_TRUE(files.write_atomic("/etc/ssh/a.conf", "one\n", 0600, ::geteuid(), ::getegid()).ok());
  ASSERT_TRUE(files.write_atomic("/etc/ssh/a.conf", "two\n", 0640, ::geteuid(), ::getegid()).ok());
  EXPECT_EQ(*files.read("/etc/ssh/a.conf"), "two\n");
  EXPECT_EQ(files.stat("/etc/ssh/a.conf")->mode, 0640u);
  EXPECT_EQ(*files.list_dir("/etc/ssh"), std::vector<std::string>{"a.conf"});
  EXPECT_FALSE(files.write_atomic("/no/such/dir/x", "x", 0644, 0, 0).ok());
  ASSERT_TRUE(files.make_dirs("/var/lib/devbox-harden/backups", 0700).ok());
  EXPECT_EQ(files.stat("/var/lib/devbox-harden/backups")->type, FileInfo::Type::directory);
  ASSERT_TRUE(files.remove("/etc/ssh/a.conf").ok());
  EXPECT_FALSE(files.exists("/etc/ssh/a.conf"));
}

TEST(RealHostCommands, StreamsOutputAndReportsExitAndMissingPrograms) {
  RealCommands commands("/");
  RunOptions options;
  std::string streamed;
  options.on_output = [&](std::string_view chunk) { streamed.append(chunk); };
  auto r = commands.run({"printf", "a\\nb\\n"}, options);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(r->out, "a\nb\n");
  EXPECT_EQ(streamed, "a\nb\n");
  auto failed = commands.run({"false"}, {});
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->exit_code, 1);
  auto missing = commands.run({"no-such-program-devbox"}, {});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().find("No such file"), std::string::npos) << missing.error();
  RunOptions input;
  input.input = "fed through stdin";
  EXPECT_EQ(commands.run({"cat"}, input)->out, "fed through stdin");
}

TEST(RealHostCommands, ATimeoutKillsTheCommand) {
  RealCommands commands("/");
  RunOptions options;
  options.timeout = std::chrono::milliseconds(200);
  auto r = commands.run({"sleep", "30"}, options);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_TRUE(r->timed_out);
  EXPECT_EQ(r->exit_code, -1);
}

}  // namespace
}  // namespace dh::host
