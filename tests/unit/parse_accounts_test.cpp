// passwd, shadow and group. The *-debian12-minbase fixtures are the debootstrap tree's real
// files; the *-devbox fixtures append the accounts an EC2 devbox grows (hand-written).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "facts/parsers.h"
#include "unit/test_data.h"

namespace dh::facts {
namespace {

std::string slurp(const std::string& rel) { return testing::test_data(rel); }

template <class T>
const T* by_name(const std::vector<T>& v, const std::string& name) {
  auto it = std::find_if(v.begin(), v.end(), [&](const T& e) { return e.name == name; });
  return it == v.end() ? nullptr : &*it;
}

struct PasswdCase {
  const char* fixture;
  const char* name;
  uint32_t uid;
  uint32_t gid;
  const char* home;
  const char* shell;
  bool login;
};

class ParsePasswdFixtures : public ::testing::TestWithParam<PasswdCase> {};

TEST_P(ParsePasswdFixtures, Entry) {
  const auto& c = GetParam();
  auto entries = parse_passwd(slurp(c.fixture));
  const PasswdEntry* e = by_name(entries, c.name);
  ASSERT_NE(e, nullptr) << c.name;
  EXPECT_EQ(e->uid, c.uid);
  EXPECT_EQ(e->gid, c.gid);
  EXPECT_EQ(e->home, c.home);
  EXPECT_EQ(e->shell, c.shell);
  EXPECT_EQ(is_login_shell(e->shell), c.login);
}

INSTANTIATE_TEST_SUITE_P(
    Real, ParsePasswdFixtures,
    ::testing::Values(PasswdCase{"accounts/passwd-debian12-minbase.txt", "root", 0, 0, "/root",
                                 "/bin/bash", true},
                      PasswdCase{"accounts/passwd-debian12-minbase.txt", "sync", 4, 65534, "/bin",
                                 "/bin/sync", false},
                      PasswdCase{"accounts/passwd-debian12-minbase.txt", "_apt", 42, 65534,
                                 "/nonexistent", "/usr/sbin/nologin", false},
                      PasswdCase{"accounts/passwd-debian12-minbase.txt", "nobody", 65534, 65534,
                                 "/nonexistent", "/usr/sbin/nologin", false},
                      PasswdCase{"accounts/passwd-devbox.txt", "admin", 1000, 1000, "/home/admin",
                                 "/bin/bash", true},
                      PasswdCase{"accounts/passwd-devbox.txt", "svc", 998, 998, "/var/lib/svc",
                                 "/sbin/nologin", false},
                      PasswdCase{"accounts/passwd-devbox.txt", "legacy", 1004, 1004, "/home/legacy",
                                 "", true},
                      PasswdCase{"accounts/passwd-devbox.txt", "ftp", 997, 997, "/srv/ftp",
                                 "/usr/bin/false", false}));

TEST(ParsePasswd, RealFileHasEveryLineAndOnlyRootLogsIn) {
  std::string text = slurp("accounts/passwd-debian12-minbase.txt");
  auto entries = parse_passwd(text);
  EXPECT_EQ(entries.size(), static_cast<size_t>(std::count(text.begin(), text.end(), '\n')));
  std::vector<std::string> login;
  for (const auto& e : entries)
    if (is_login_shell(e.shell)) login.push_back(e.name);
  EXPECT_EQ(login, std::vector<std::string>{"root"});
}

TEST(ParsePasswd, SkipsMalformedCommentAndNisLines) {
  auto entries = parse_passwd(
      "# comment\n"
      "+::::::\n"
      "-baduser::::::\n"
      "short:x:1:1\n"
      "baduid:x:abc:1::/home/b:/bin/sh\n"
      "neg:x:-1:1::/:/bin/sh\n"
      ":x:5:5::/:/bin/sh\n"
      "\n"
      "ok:x:1005:1005:O K,,,:/home/ok:/bin/zsh\r\n");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].name, "ok");
  EXPECT_EQ(entries[0].shell, "/bin/zsh");
}

struct ShellCase {
  const char* shell;
  bool login;
};

class ParseLoginShell : public ::testing::TestWithParam<ShellCase> {};

TEST_P(ParseLoginShell, IsLoginShell) {
  EXPECT_EQ(is_login_shell(GetParam().shell), GetParam().login) << "'" << GetParam().shell << "'";
}

INSTANTIATE_TEST_SUITE_P(
    Table, ParseLoginShell,
    ::testing::Values(ShellCase{"/usr/sbin/nologin", false}, ShellCase{"/sbin/nologin", false},
                      ShellCase{"/usr/bin/nologin", false}, ShellCase{"/bin/false", false},
                      ShellCase{"/usr/bin/false", false}, ShellCase{"/bin/sync", false},
                      ShellCase{"/bin/bash", true}, ShellCase{"/usr/bin/zsh", true},
                      ShellCase{"/bin/sh", true}, ShellCase{"/usr/bin/fish", true},
                      // login(1) runs /bin/sh for an empty shell field.
                      ShellCase{"", true}, ShellCase{"  ", true}));

TEST(ParseShadow, HashesAreKeptVerbatim) {
  auto entries = parse_shadow(slurp("accounts/shadow-devbox.txt"));
  struct Want {
    const char* name;
    const char* hash;
  };
  for (const Want& w : {Want{"root", "*"}, Want{"sshd", "!"}, Want{"admin", "!"},
                        Want{"nopass", ""}, Want{"svc", "*"}}) {
    const ShadowEntry* e = by_name(entries, w.name);
    ASSERT_NE(e, nullptr) << w.name;
    EXPECT_EQ(e->hash, w.hash) << w.name;
  }
  const ShadowEntry* locked = by_name(entries, "locked");
  ASSERT_NE(locked, nullptr);
  EXPECT_EQ(locked->hash.rfind("!$6$", 0), 0u);
  const ShadowEntry* alice = by_name(entries, "alice");
  ASSERT_NE(alice, nullptr);
  EXPECT_EQ(alice->hash.rfind("$y$j9T$", 0), 0u);
  EXPECT_EQ(alice->hash.find(':'), std::string::npos);
}

TEST(ParseShadow, EmptyHashFieldIsNotConfusedWithAMissingField) {
  auto entries = parse_shadow("nopass::20000:0:99999:7:::\nbroken\nx:!*:1::::::\n");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].name, "nopass");
  EXPECT_TRUE(entries[0].hash.empty());
  EXPECT_EQ(entries[1].hash, "!*");
}

TEST(ParseShadow, EveryPasswdUserOfTheFixtureHasAShadowLine) {
  auto users = parse_passwd(slurp("accounts/passwd-devbox.txt"));
  auto shadow = parse_shadow(slurp("accounts/shadow-devbox.txt"));
  EXPECT_EQ(users.size(), shadow.size());
  for (const auto& u : users) EXPECT_NE(by_name(shadow, u.name), nullptr) << u.name;
}

TEST(ParseGroup, MembersAndEmptyLists) {
  auto groups = parse_group(slurp("accounts/group-devbox.txt"));
  const GroupEntry* sudo = by_name(groups, "sudo");
  ASSERT_NE(sudo, nullptr);
  EXPECT_EQ(sudo->gid, 27u);
  EXPECT_EQ(sudo->members, (std::vector<std::string>{"admin", "alice"}));
  const GroupEntry* sftp = by_name(groups, "sftp");
  ASSERT_NE(sftp, nullptr);
  EXPECT_EQ(sftp->members, (std::vector<std::string>{"alice", "nopass"}));
  const GroupEntry* nogroup = by_name(groups, "nogroup");
  ASSERT_NE(nogroup, nullptr);
  EXPECT_EQ(nogroup->gid, 65534u);
  EXPECT_TRUE(nogroup->members.empty());
}

TEST(ParseGroup, RealFileParsesEveryLine) {
  std::string text = slurp("accounts/group-debian12-minbase.txt");
  auto groups = parse_group(text);
  EXPECT_EQ(groups.size(), static_cast<size_t>(std::count(text.begin(), text.end(), '\n')));
  for (const auto& g : groups) EXPECT_TRUE(g.members.empty()) << g.name;
}

TEST(ParseGroup, ToleratesMissingMemberFieldAndStrayCommas) {
  auto groups = parse_group("a:x:10\nb:x:11:,u1,,u2,\nc:x:nan:\n");
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_TRUE(groups[0].members.empty());
  EXPECT_EQ(groups[1].members, (std::vector<std::string>{"u1", "u2"}));
}

}  // namespace
}  // namespace dh::facts
