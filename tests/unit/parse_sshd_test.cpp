// sshd -T and the sshd_config walk. The fixtures under tests/data/sshd_config/<scenario>/ hold
// an /etc/ssh tree and what Debian 12's real `sshd -T` (and `-T -C ...`) printed for it, so the
// walk is checked against sshd itself, not against our reading of the manual.
#include <fnmatch.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "facts/parsers.h"
#include "unit/test_data.h"
#include "util/strings.h"

namespace dh::facts {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) { return testing::read_whole(p); }

fs::path data(const std::string& rel) { return fs::path(DEVBOX_TEST_DATA) / rel; }

// A host seen through ConfigSource: files by host-absolute path; `unreadable` ones exist (glob
// lists them) but cannot be read, like a mode-000 drop-in.
struct FakeFiles {
  std::map<std::string, std::string> files;
  std::set<std::string> unreadable;
  std::vector<std::string> reads;  // every path the walker asked to read, in order

  ConfigSource source() {
    ConfigSource s;
    s.read = [this](const std::string& path) -> Expected<std::string> {
      reads.push_back(path);
      if (unreadable.count(path)) return Error{"Permission denied"};
      auto it = files.find(path);
      if (it == files.end()) return Error{"No such file or directory"};
      return it->second;
    };
    s.glob = [this](const std::string& pattern) {
      std::vector<std::string> out;
      auto consider = [&](const std::string& path) {
        if (fnmatch(pattern.c_str(), path.c_str(), FNM_PATHNAME) == 0) out.push_back(path);
      };
      for (const auto& [path, text] : files) consider(path);
      for (const auto& path : unreadable)
        if (!files.count(path)) consider(path);
      std::sort(out.begin(), out.end());
      return out;
    };
    return s;
  }
};

// Loads tests/data/sshd_config/<scenario>/etc/... as /etc/...
FakeFiles load_scenario(const std::string& scenario) {
  FakeFiles f;
  fs::path root = data("sshd_config/" + scenario);
  for (const auto& e : fs::recursive_directory_iterator(root / "etc")) {
    if (!e.is_regular_file()) continue;
    f.files["/" + fs::relative(e.path(), root).generic_string()] = slurp(e.path());
  }
  return f;
}

std::vector<std::string> keywords_of(const std::vector<SshdSetting>& settings) {
  std::vector<std::string> out;
  for (const auto& s : settings) out.push_back(s.keyword);
  return out;
}

// sshd keeps the first value it reads for most keywords.
std::map<std::string, std::string> first_values(const std::vector<SshdSetting>& settings) {
  std::map<std::string, std::string> out;
  for (const auto& s : settings) out.emplace(s.keyword, s.value);
  return out;
}

// ---- sshd -T -----------------------------------------------------------------------------------

struct SshdTCase {
  const char* fixture;
  const char* keyword;
  const char* expected_first;
  size_t expected_count;
};

class ParseSshdTFixtures : public ::testing::TestWithParam<SshdTCase> {};

TEST_P(ParseSshdTFixtures, KeywordHasValue) {
  const auto& c = GetParam();
  auto eff = parse_sshd_T(slurp(data(c.fixture)));
  ASSERT_TRUE(eff.ok()) << eff.error();
  auto v = eff->get(c.keyword);
  ASSERT_TRUE(v.has_value()) << c.keyword;
  EXPECT_EQ(*v, c.expected_first);
  EXPECT_EQ(eff->values.at(c.keyword).size(), c.expected_count);
}

INSTANTIATE_TEST_SUITE_P(
    RealOutputs, ParseSshdTFixtures,
    ::testing::Values(
        SshdTCase{"sshd-T/debian12-default.txt", "passwordauthentication", "yes", 1},
        // sshd -T spells prohibit-password by its old name; checks must accept both.
        SshdTCase{"sshd-T/debian12-default.txt", "permitrootlogin", "without-password", 1},
        SshdTCase{"sshd-T/debian12-default.txt", "listenaddress", "[::]:22", 2},
        SshdTCase{"sshd-T/debian12-default.txt", "hostkey", "/etc/ssh/ssh_host_rsa_key", 3},
        SshdTCase{"sshd-T/debian12-default.txt", "subsystem", "sftp /usr/lib/openssh/sftp-server",
                  1},
        SshdTCase{"sshd-T/debian12-default.txt", "authorizedkeysfile",
                  ".ssh/authorized_keys .ssh/authorized_keys2", 1},
        SshdTCase{"sshd-T/debian12-default.txt", "rekeylimit", "0 0", 1},
        SshdTCase{"sshd-T/ubuntu2404-cloudimg.txt", "passwordauthentication", "no", 1},
        SshdTCase{"sshd-T/ubuntu2404-cloudimg.txt", "acceptenv", "LANG", 4},
        SshdTCase{"sshd_config/debian12-cloud-init/sshd-T.txt", "passwordauthentication", "yes", 1},
        SshdTCase{"sshd_config/debian12-cloud-init/sshd-T.txt", "permitrootlogin", "no", 1},
        SshdTCase{"sshd_config/no-include/sshd-T.txt", "permitrootlogin", "without-password", 1},
        SshdTCase{"sshd_config/match-include/sshd-T-C-user-bob-addr-10_1_2_3.txt",
                  "permitrootlogin", "no", 1},
        SshdTCase{"sshd_config/match-include/sshd-T-C-user-alice-addr-192_0_2_10.txt", "permittty",
                  "no", 1}));

TEST(ParseSshdT, KeywordsAreLowerCasedAndValuesKeptAsPrinted) {
  auto eff = parse_sshd_T("PasswordAuthentication Yes\r\nCiphers  aes128-ctr,aes256-ctr  \n");
  ASSERT_TRUE(eff.ok());
  EXPECT_EQ(eff->get("passwordauthentication"), "Yes");
  EXPECT_EQ(eff->get("PasswordAuthentication"), "Yes");
  EXPECT_EQ(eff->get("ciphers"), "aes128-ctr,aes256-ctr");
  EXPECT_FALSE(eff->get("port").has_value());
}

TEST(ParseSshdT, KeywordWithoutValueKeepsEmptyValue) {
  auto eff = parse_sshd_T("port 22\nchanneltimeout\n");
  ASSERT_TRUE(eff.ok());
  EXPECT_EQ(eff->get("channeltimeout"), "");
}

TEST(ParseSshdT, EmptyOrSettinglessOutputIsAnError) {
  for (const char* text :
       {"", "\n\n  \n", "/etc/ssh/sshd_config: line 3: Bad configuration option\n"}) {
    auto eff = parse_sshd_T(text);
    EXPECT_FALSE(eff.ok()) << "input: " << text;
    EXPECT_NE(eff.error().find("no settings"), std::string::npos);
  }
}

TEST(ParseSshdT, EveryLineOfTheRealOutputIsKept) {
  std::string text = slurp(data("sshd-T/debian12-default.txt"));
  auto eff = parse_sshd_T(text);
  ASSERT_TRUE(eff.ok());
  size_t total = 0;
  for (const auto& [k, v] : eff->values) total += v.size();
  size_t lines = std::count(text.begin(), text.end(), '\n');
  EXPECT_EQ(total, lines);
}

// ---- walk: real fixtures checked against real sshd -T -------------------------------------------

// Yes/no keywords are the ones whose spelling sshd -T does not normalise, so the walk's first
// value must equal what sshd printed.
bool is_yes_no(const std::string& v) { return v == "yes" || v == "no"; }

std::string unquote_lower(const std::string& v) {
  std::string s = v;
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return to_lower(s);
}

class WalkSshdConfigAgainstSshdT : public ::testing::TestWithParam<const char*> {};

TEST_P(WalkSshdConfigAgainstSshdT, FirstValueWinsLikeSshd) {
  FakeFiles f = load_scenario(GetParam());
  auto walk = walk_sshd_config(f.source());
  ASSERT_TRUE(walk.problems.empty()) << walk.problems.front();
  auto eff = parse_sshd_T(slurp(data(std::string("sshd_config/") + GetParam() + "/sshd-T.txt")));
  ASSERT_TRUE(eff.ok());
  int compared = 0;
  for (const auto& [kw, value] : first_values(walk.settings)) {
    std::string v = unquote_lower(value);
    if (!is_yes_no(v) || !eff->get(kw)) continue;
    EXPECT_EQ(v, *eff->get(kw)) << GetParam() << ": " << kw;
    ++compared;
  }
  EXPECT_GE(compared, 2);
}

INSTANTIATE_TEST_SUITE_P(Scenarios, WalkSshdConfigAgainstSshdT,
                         ::testing::Values("debian12-cloud-init", "no-include", "match-include"));

// Which blocks apply to a connection, for the criteria the fixture uses. The chroot that
// recorded the outputs has no user alice/bob/carol, so Group never matched there.
bool block_applies(const SshdMatchBlock& b, const std::string& user, const std::string& addr) {
  for (const auto& [name, arg] : b.criteria_pairs) {
    if (name == "all") continue;
    if (name == "user" && arg == user) continue;
    if (name == "address" && arg == "10.0.0.0/8" && addr.rfind("10.", 0) == 0) continue;
    return false;
  }
  return true;
}

struct MatchCase {
  const char* user;
  const char* addr;
  const char* output;
  int from_match;  // compared keywords whose value comes from a Match block
};
void PrintTo(const MatchCase& c, std::ostream* os) { *os << c.user << "@" << c.addr; }

class WalkSshdConfigMatchAgainstSshdTC : public ::testing::TestWithParam<MatchCase> {};

TEST_P(WalkSshdConfigMatchAgainstSshdTC, MatchBlocksInReadOrderOverrideGlobals) {
  const auto& c = GetParam();
  FakeFiles f = load_scenario("match-include");
  auto walk = walk_sshd_config(f.source());
  // Match values are first-wins among the applicable blocks, in read order, over globals.
  std::map<std::string, std::string> eff_walk;
  std::set<std::string> matched;
  for (const auto& b : walk.matches)
    if (block_applies(b, c.user, c.addr))
      for (const auto& s : b.settings)
        if (eff_walk.emplace(s.keyword, unquote_lower(s.value)).second) matched.insert(s.keyword);
  for (const auto& [kw, v] : first_values(walk.settings)) eff_walk.emplace(kw, unquote_lower(v));

  auto eff = parse_sshd_T(slurp(data(std::string("sshd_config/match-include/") + c.output)));
  ASSERT_TRUE(eff.ok());
  int compared = 0, from_match = 0;
  for (const auto& [kw, v] : eff_walk) {
    if (!is_yes_no(v) || !eff->get(kw)) continue;
    EXPECT_EQ(v, *eff->get(kw)) << c.user << "@" << c.addr << ": " << kw;
    ++compared;
    from_match += matched.count(kw);
  }
  EXPECT_GE(compared, 3);
  EXPECT_EQ(from_match, c.from_match);
}

INSTANTIATE_TEST_SUITE_P(
    RecordedConnections, WalkSshdConfigMatchAgainstSshdTC,
    ::testing::Values(
        MatchCase{"alice", "192.0.2.10", "sshd-T-C-user-alice-addr-192_0_2_10.txt", 3},
        // bob's own block comes first (in a drop-in), so its PermitRootLogin no beats the
        // Address block's yes.
        MatchCase{"bob", "10.1.2.3", "sshd-T-C-user-bob-addr-10_1_2_3.txt", 3},
        // Only the trailing "Match all" applies to carol.
        MatchCase{"carol", "192.0.2.10", "sshd-T-C-user-carol-addr-192_0_2_10.txt", 1}));

TEST(WalkSshdConfig, DropinsAreReadAtTheIncludeInLexicalOrder) {
  FakeFiles f = load_scenario("debian12-cloud-init");
  auto walk = walk_sshd_config(f.source());
  EXPECT_EQ(
      walk.files_read,
      (std::vector<std::string>{"/etc/ssh/sshd_config", "/etc/ssh/sshd_config.d/50-cloud-init.conf",
                                "/etc/ssh/sshd_config.d/99-hardening.conf"}));
  EXPECT_TRUE(walk.main_includes_dropin_dir);
  EXPECT_EQ(walk.dropins_present.size(), 2u);
  ASSERT_GE(walk.settings.size(), 2u);
  // The Include is line 12 of the stock file, before every uncommented setting.
  EXPECT_EQ(walk.settings[0].keyword, "passwordauthentication");
  EXPECT_EQ(walk.settings[0].value, "yes");
  EXPECT_EQ(walk.settings[0].file, "/etc/ssh/sshd_config.d/50-cloud-init.conf");
  EXPECT_EQ(walk.settings[0].line, 1);
  EXPECT_EQ(walk.settings[1].file, "/etc/ssh/sshd_config.d/99-hardening.conf");
  EXPECT_EQ(first_values(walk.settings).at("passwordauthentication"), "yes");
}

TEST(WalkSshdConfig, WithoutIncludeTheDropinsAreListedButNotRead) {
  FakeFiles f = load_scenario("no-include");
  auto walk = walk_sshd_config(f.source());
  EXPECT_FALSE(walk.main_includes_dropin_dir);
  EXPECT_EQ(walk.dropins_present,
            std::vector<std::string>{"/etc/ssh/sshd_config.d/99-hardening.conf"});
  EXPECT_EQ(walk.files_read, std::vector<std::string>{"/etc/ssh/sshd_config"});
  for (const auto& s : walk.settings) {
    EXPECT_EQ(s.file, "/etc/ssh/sshd_config");
    EXPECT_NE(s.keyword, "permitrootlogin");  // only the unread drop-in sets it
  }
  EXPECT_EQ(std::count(f.reads.begin(), f.reads.end(), "/etc/ssh/sshd_config.d/99-hardening.conf"),
            0);
}

TEST(WalkSshdConfig, MatchBlocksOfTheScenario) {
  FakeFiles f = load_scenario("match-include");
  auto walk = walk_sshd_config(f.source());
  ASSERT_TRUE(walk.problems.empty());
  struct Expect {
    std::string criteria;
    std::vector<std::pair<std::string, std::string>> pairs;
    std::string file;
    std::vector<std::string> keywords;
  };
  const std::string main = "/etc/ssh/sshd_config", alice = "/etc/ssh/match-alice.conf",
                    hard = "/etc/ssh/sshd_config.d/99-hardening.conf";
  std::vector<Expect> want = {
      // A Match in a drop-in ends with that drop-in: it must not swallow the main file's globals.
      {"User bob", {{"user", "bob"}}, hard, {"permitrootlogin"}},
      {"User alice", {{"user", "alice"}}, main, {"allowtcpforwarding"}},
      // "Match all" inside a file included from "Match User alice" only applies to alice.
      {"all", {{"user", "alice"}, {"all", ""}}, alice, {"permittty"}},
      // After the included file, alice's block resumes.
      {"User alice", {{"user", "alice"}}, main, {"x11forwarding"}},
      {"Address 10.0.0.0/8",
       {{"address", "10.0.0.0/8"}},
       main,
       {"passwordauthentication", "permitrootlogin"}},
      {"Group sftp,admins",
       {{"group", "sftp,admins"}},
       main,
       {"forcecommand", "allowtcpforwarding"}},
      {"all", {{"all", ""}}, main, {"permittty"}},
  };
  ASSERT_EQ(walk.matches.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE("block " + std::to_string(i));
    EXPECT_EQ(walk.matches[i].criteria, want[i].criteria);
    EXPECT_EQ(walk.matches[i].criteria_pairs, want[i].pairs);
    EXPECT_EQ(walk.matches[i].file, want[i].file);
    EXPECT_EQ(keywords_of(walk.matches[i].settings), want[i].keywords);
  }
  // The continuation points at the same Match line as the block it continues.
  EXPECT_EQ(walk.matches[3].line, walk.matches[1].line);
  EXPECT_EQ(walk.matches[6].settings[0].value, "yes");
  for (const auto& s : walk.settings) EXPECT_NE(s.keyword, "forcecommand");
}

TEST(WalkSshdConfig, SyntaxVariantsOfTheScenario) {
  FakeFiles f = load_scenario("match-include");
  auto walk = walk_sshd_config(f.source());
  auto find = [&](const std::string& file, const std::string& kw) -> const SshdSetting* {
    for (const auto& s : walk.settings)
      if (s.file == file && s.keyword == kw) return &s;
    return nullptr;
  };
  const std::string main = "/etc/ssh/sshd_config";
  const SshdSetting* pw = find(main, "passwordauthentication");  // "PasswordAuthentication=no"
  ASSERT_NE(pw, nullptr);
  EXPECT_EQ(pw->value, "no");
  EXPECT_EQ(pw->line, 5);
  const SshdSetting* root = find(main, "permitrootlogin");  // upper-case keyword, quoted value
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(root->value, "\"prohibit-password\"");
  const SshdSetting* x11 = find(main, "x11forwarding");  // tab-indented, trailing comment
  ASSERT_NE(x11, nullptr);
  EXPECT_EQ(x11->value, "yes");
  const SshdSetting* sub = find(main, "subsystem");
  ASSERT_NE(sub, nullptr);
  EXPECT_EQ(sub->value, "sftp /usr/lib/openssh/sftp-server");
  // The relative "sshd_config.d/*.conf" resolved against /etc/ssh.
  EXPECT_TRUE(walk.main_includes_dropin_dir);
  EXPECT_EQ(walk.files_read.size(), 4u);
}

// ---- walk: in-memory edge cases ----------------------------------------------------------------

struct LineCase {
  const char* line;
  const char* keyword;
  const char* value;
};

class WalkSshdConfigLines : public ::testing::TestWithParam<LineCase> {};

TEST_P(WalkSshdConfigLines, OneLine) {
  const auto& c = GetParam();
  FakeFiles f;
  f.files["/etc/ssh/sshd_config"] = std::string("# header\n\n") + c.line + "\n";
  auto walk = walk_sshd_config(f.source());
  if (c.keyword == nullptr) {
    EXPECT_TRUE(walk.settings.empty()) << c.line;
    return;
  }
  ASSERT_EQ(walk.settings.size(), 1u) << c.line;
  EXPECT_EQ(walk.settings[0].keyword, c.keyword);
  EXPECT_EQ(walk.settings[0].value, c.value);
  EXPECT_EQ(walk.settings[0].line, 3);
}

INSTANTIATE_TEST_SUITE_P(
    Syntax, WalkSshdConfigLines,
    ::testing::Values(LineCase{"PasswordAuthentication no", "passwordauthentication", "no"},
                      LineCase{"PasswordAuthentication=no", "passwordauthentication", "no"},
                      LineCase{"PasswordAuthentication = no", "passwordauthentication", "no"},
                      LineCase{"  \tPermitRootLogin\tno  ", "permitrootlogin", "no"},
                      LineCase{"PERMITROOTLOGIN yes", "permitrootlogin", "yes"},
                      LineCase{"Banner \"/etc/issue net\"", "banner", "\"/etc/issue net\""},
                      LineCase{"PermitRootLogin no # was yes", "permitrootlogin", "no"},
                      // '#' inside a token is not a comment (sshd only cuts at a token start).
                      LineCase{"AuthorizedKeysFile .ssh/keys#1", "authorizedkeysfile",
                               ".ssh/keys#1"},
                      LineCase{"Banner \"/etc/a #b\"", "banner", "\"/etc/a #b\""},
                      LineCase{"ListenAddress 0.0.0.0:22\r", "listenaddress", "0.0.0.0:22"},
                      LineCase{"#PasswordAuthentication yes", nullptr, nullptr},
                      LineCase{"   # PermitRootLogin yes", nullptr, nullptr},
                      LineCase{"", nullptr, nullptr}));

TEST(WalkSshdConfig, MatchEndsAtEndOfTheFileItStartedIn) {
  FakeFiles f;
  f.files["/etc/ssh/sshd_config"] =
      "Include /etc/ssh/sshd_config.d/*.conf\n"
      "X11Forwarding no\n";
  f.files["/etc/ssh/sshd_config.d/10-sftp.conf"] =
      "Match Group sftp\n"
      "  ForceCommand internal-sftp\n";
  auto walk = walk_sshd_config(f.source());
  ASSERT_EQ(walk.matches.size(), 1u);
  EXPECT_EQ(keywords_of(walk.matches[0].settings), std::vector<std::string>{"forcecommand"});
  EXPECT_EQ(keywords_of(walk.settings), std::vector<std::string>{"x11forwarding"});
}

TEST(WalkSshdConfig, MatchEndsAtNextMatch) {
  FakeFiles f;
  f.files["/etc/ssh/sshd_config"] =
      "Match User alice Address 10.0.0.0/8\n"
      "  PasswordAuthentication yes\n"
      "Match User !root,*\n"
      "  PermitTTY no\n";
  auto walk = walk_sshd_config(f.source());
  ASSERT_EQ(walk.matches.size(), 2u);
  EXPECT_EQ(walk.matches[0].criteria, "User alice Address 10.0.0.0/8");
  EXPECT_EQ(walk.matches[0].criteria_pairs, (std::vector<std::pair<std::string, std::string>>{
                                                {"user", "alice"}, {"address", "10.0.0.0/8"}}));
  EXPECT_EQ(walk.matches[0].line, 1);
  EXPECT_EQ(keywords_of(walk.matches[0].settings),
            std::vector<std::string>{"passwordauthentication"});
  EXPECT_EQ(walk.matches[1].criteria_pairs[0].second, "!root,*");
  EXPECT_EQ(keywords_of(walk.matches[1].settings), std::vector<std::string>{"permittty"});
  EXPECT_TRUE(walk.settings.empty());
}

TEST(WalkSshdConfig, IncludeInsideMatchPutsTheFileInThatBlock) {
  FakeFiles f;
  f.files["/etc/ssh/sshd_config"] =
      "PermitRootLogin no\n"
      "Match Address 100.64.0.0/10\n"
      "  Include tailnet.conf\n";
  f.files["/etc/ssh/tailnet.conf"] = "PasswordAuthentication yes\nAllowTcpForwarding yes\n";
  auto walk = walk_sshd_config(f.source());
  ASSERT_EQ(walk.matches.size(), 1u);
  ASSERT_EQ(walk.matches[0].settings.size(), 2u);
  EXPECT_EQ(walk.matches[0].settings[0].file, "/etc/ssh/tailnet.conf");
  EXPECT_EQ(walk.matches[0].settings[0].line, 1);
  EXPECT_EQ(keywords_of(walk.settings), std::vector<std::string>{"permitrootlogin"});
}

TEST(WalkSshdConfig, IncludeGlobOrderIsLexicalNotListingOrder) {
  FakeFiles f;
  f.files["/etc/ssh/sshd_config"] = "Include /etc/ssh/sshd_config.d/*.conf\n";
  f.files["/etc/ssh/sshd_config.d/99-hardening.conf"] = "PasswordAuthentication no\n";
  f.files["/etc/ssh/sshd_config.d/50-cloud-init.conf"] = "PasswordAuthentication yes\n";
  f.files["/etc/ssh/sshd_config.d/README"] = "not a conf\n";
  f.files["/etc/ssh/sshd_config.d/00-devbox-harden.conf"] = "PasswordAuthentication no\n";
  auto source = f.source();
  // A glob that hands back paths unsorted must not change sshd's order.
  auto inner = source.glob;
  source.glob = [inner](const std::string& p) {
    auto v = inner(p);
    std::reverse(v.begin(), v.end());
    return v;
  };
  auto walk = walk_sshd_config(source);
  EXPECT_EQ(walk.files_read,
            (std::vector<std::string>{"/etc/ssh/sshd_config",
                                      "/etc/ssh/sshd_config.d/00-devbox-harden.conf",
                                      "/etc/ssh/sshd_config.d/50-cloud-init.conf",
                                      "/etc/ssh/sshd_config.d/99-hardening.conf"}));
  EXPECT_EQ(walk.dropins_present.front(), "/etc/ssh/sshd_config.d/00-devbox-harden.conf");
  EXPECT_EQ(walk.dropins_present.size(), 3u);
  EXPECT_EQ(first_values(walk.settings).at("passwordauthentication"), "no");
}

struct IncludeCase {
  const char* include_line;
  bool covers;
  std::vector<std::string> files_read;
};

// Test names and failure messages show the Include line, not the struct's bytes.
void PrintTo(const IncludeCase& c, std::ostream* os) { *os << c.include_line; }

class WalkSshdConfigIncludes : public ::testing::TestWithParam<IncludeCase> {};

TEST_P(WalkSshdConfigIncludes, ResolvesAndDecidesCoverage) {
  const auto& c = GetParam();
  FakeFiles f;
  f.files["/etc/ssh/sshd_config"] = std::string(c.include_line) + "\n";
  f.files["/etc/ssh/sshd_config.d/50-cloud-init.conf"] = "PasswordAuthentication yes\n";
  f.files["/etc/ssh/extra.conf"] = "Port 2222\n";
  auto walk = walk_sshd_config(f.source());
  EXPECT_EQ(walk.main_includes_dropin_dir, c.covers) << c.include_line;
  std::vector<std::string> want = {"/etc/ssh/sshd_config"};
  want.insert(want.end(), c.files_read.begin(), c.files_read.end());
  EXPECT_EQ(walk.files_read, want) << c.include_line;
}

INSTANTIATE_TEST_SUITE_P(
    Paths, WalkSshdConfigIncludes,
    ::testing::Values(
        IncludeCase{"Include /etc/ssh/sshd_config.d/*.conf",
                    true,
                    {"/etc/ssh/sshd_config.d/50-cloud-init.conf"}},
        IncludeCase{
            "Include sshd_config.d/*.conf", true, {"/etc/ssh/sshd_config.d/50-cloud-init.conf"}},
        IncludeCase{"include=sshd_config.d/*", true, {"/etc/ssh/sshd_config.d/50-cloud-init.conf"}},
        IncludeCase{"Include \"/etc/ssh/sshd_config.d/*.conf\"",
                    true,
                    {"/etc/ssh/sshd_config.d/50-cloud-init.conf"}},
        // Naming one drop-in does not cover the directory: a new drop-in would not be read.
        IncludeCase{"Include sshd_config.d/50-cloud-init.conf",
                    false,
                    {"/etc/ssh/sshd_config.d/50-cloud-init.conf"}},
        IncludeCase{"Include extra.conf sshd_config.d/*.conf",
                    true,
                    {"/etc/ssh/extra.conf", "/etc/ssh/sshd_config.d/50-cloud-init.conf"}},
        IncludeCase{"Include /etc/ssh/other.d/*.conf", false, {}},
        IncludeCase{"# Include /etc/ssh/sshd_config.d/*.conf", false, {}}));

TEST(WalkSshdConfig, IncludeOfDropinDirInsideMatchDoesNotCountAndIsReported) {
  FakeFiles f;
  f.files["/etc/ssh/sshd_config"] = "Match User admin\nInclude /etc/ssh/sshd_config.d/*.conf\n";
  f.files["/etc/ssh/sshd_config.d/50-cloud-init.conf"] = "PasswordAuthentication yes\n";
  auto walk = walk_sshd_config(f.source());
  EXPECT_FALSE(walk.main_includes_dropin_dir);
  ASSERT_EQ(walk.problems.size(), 1u);
  EXPECT_NE(walk.problems[0].find("inside a Match block"), std::string::npos);
  ASSERT_EQ(walk.matches.size(), 1u);
  EXPECT_EQ(walk.matches[0].settings.size(), 1u);
}

TEST(WalkSshdConfig, UnreadableMissingAndLoopingIncludesAreProblemsNotCrashes) {
  FakeFiles f;
  f.files["/etc/ssh/sshd_config"] =
      "Include sshd_config.d/*.conf\n"
      "Include /etc/ssh/missing.conf\n"
      "Include loop-a.conf\n"
      "Port 22\n";
  f.unreadable.insert("/etc/ssh/sshd_config.d/10-secret.conf");
  f.files["/etc/ssh/sshd_config.d/20-ok.conf"] = "UseDNS no\n";
  f.files["/etc/ssh/loop-a.conf"] = "Include loop-b.conf\nMaxAuthTries 3\n";
  f.files["/etc/ssh/loop-b.conf"] = "Include /etc/ssh/loop-a.conf\n";
  auto walk = walk_sshd_config(f.source());
  ASSERT_EQ(walk.problems.size(), 3u);
  EXPECT_NE(walk.problems[0].find("10-secret.conf"), std::string::npos);
  EXPECT_NE(walk.problems[0].find("Permission denied"), std::string::npos);
  EXPECT_NE(walk.problems[1].find("/etc/ssh/missing.conf"), std::string::npos);
  EXPECT_NE(walk.problems[2].find("loop"), std::string::npos);
  EXPECT_EQ(keywords_of(walk.settings),
            (std::vector<std::string>{"usedns", "maxauthtries", "port"}));
  // The unreadable drop-in is still present on disk, so it is listed.
  EXPECT_EQ(walk.dropins_present.size(), 2u);
}

TEST(WalkSshdConfig, UnreadableMainFileIsAProblem) {
  FakeFiles f;
  f.files["/etc/ssh/sshd_config.d/50-cloud-init.conf"] = "PasswordAuthentication yes\n";
  auto walk = walk_sshd_config(f.source());
  ASSERT_EQ(walk.problems.size(), 1u);
  EXPECT_NE(walk.problems[0].find("/etc/ssh/sshd_config"), std::string::npos);
  EXPECT_TRUE(walk.files_read.empty());
  EXPECT_EQ(walk.dropins_present.size(), 1u);
}

TEST(WalkSshdConfig, MatchWithoutCriteriaIsAProblem) {
  // sshd refuses to start on this line, so the walk must not pass it off as harmless.
  FakeFiles f;
  f.files["/etc/ssh/sshd_config"] = "Port 22\nMatch\nPermitRootLogin yes\n";
  auto walk = walk_sshd_config(f.source());
  ASSERT_EQ(walk.problems.size(), 1u);
  EXPECT_NE(walk.problems[0].find("sshd_config:2"), std::string::npos);
  ASSERT_EQ(walk.matches.size(), 1u);
  EXPECT_TRUE(walk.matches[0].criteria_pairs.empty());
  EXPECT_EQ(keywords_of(walk.matches[0].settings), std::vector<std::string>{"permitrootlogin"});
}

TEST(WalkSshdConfig, OtherMainPathIsHonoured) {
  FakeFiles f;
  f.files["/srv/test/sshd_config"] = "Port 2200\n";
  auto walk = walk_sshd_config(f.source(), "/srv/test/sshd_config");
  EXPECT_EQ(walk.files_read, std::vector<std::string>{"/srv/test/sshd_config"});
  ASSERT_EQ(walk.settings.size(), 1u);
  EXPECT_EQ(walk.settings[0].file, "/srv/test/sshd_config");
}

}  // namespace
}  // namespace dh::facts
