// os-release, shell-style KEY=value files, and the string helpers the parsers share.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "facts/parsers.h"
#include "unit/test_data.h"
#include "util/strings.h"

namespace dh::facts {
namespace {

std::string slurp(const std::string& rel) { return testing::test_data(rel); }

// ---- os-release and shell variables -----------------------------------------------------------

struct OsCase {
  const char* fixture;
  const char* id;
  const char* version_id;
  const char* codename;
  const char* pretty;
};

class ParseOsRelease : public ::testing::TestWithParam<OsCase> {};

TEST_P(ParseOsRelease, Fields) {
  const auto& c = GetParam();
  auto os = parse_os_release(slurp(c.fixture));
  EXPECT_EQ(os.id, c.id);
  EXPECT_EQ(os.version_id, c.version_id);
  EXPECT_EQ(os.version_codename, c.codename);
  EXPECT_EQ(os.pretty_name, c.pretty);
}

INSTANTIATE_TEST_SUITE_P(Distros, ParseOsRelease,
                         ::testing::Values(OsCase{"os-release/debian12.txt", "debian", "12",
                                                  "bookworm", "Debian GNU/Linux 12 (bookworm)"},
                                           OsCase{"os-release/ubuntu2404.txt", "ubuntu", "24.04",
                                                  "noble", "Ubuntu 24.04.1 LTS"},
                                           OsCase{"os-release/ubuntu2204.txt", "ubuntu", "22.04",
                                                  "jammy", "Ubuntu 22.04.4 LTS"}));

TEST(ParseShellVars, UfwFilesOfDebian12) {
  auto conf = parse_shell_vars(slurp("shell-vars/ufw.conf-debian12.txt"));
  EXPECT_EQ(conf.at("ENABLED"), "no");
  EXPECT_EQ(conf.at("LOGLEVEL"), "low");
  EXPECT_EQ(conf.size(), 2u);
  auto def = parse_shell_vars(slurp("shell-vars/default-ufw-debian12.txt"));
  EXPECT_EQ(def.at("DEFAULT_INPUT_POLICY"), "DROP");
  EXPECT_EQ(def.at("DEFAULT_FORWARD_POLICY"), "DROP");
  EXPECT_EQ(def.at("IPV6"), "yes");
  EXPECT_EQ(def.at("IPT_MODULES"), "");
}

struct ShellCase {
  const char* line;
  const char* key;
  const char* value;  // nullptr: absent
};

class ParseShellVarsLines : public ::testing::TestWithParam<ShellCase> {};

TEST_P(ParseShellVarsLines, Line) {
  const auto& c = GetParam();
  auto vars = parse_shell_vars(c.line);
  auto it = vars.find(c.key);
  if (c.value == nullptr) {
    EXPECT_EQ(it, vars.end()) << c.line;
  } else {
    ASSERT_NE(it, vars.end()) << c.line;
    EXPECT_EQ(it->second, c.value) << c.line;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Syntax, ParseShellVarsLines,
    ::testing::Values(ShellCase{"ENABLED=yes", "ENABLED", "yes"},
                      ShellCase{"ENABLED=\"yes\"", "ENABLED", "yes"},
                      ShellCase{"ENABLED='yes'", "ENABLED", "yes"},
                      ShellCase{"  ENABLED=yes  # on boot", "ENABLED", "yes"},
                      ShellCase{"export PORT=41641", "PORT", "41641"},
                      ShellCase{"FLAGS=\"--port=41641 --tun=tailscale0\"", "FLAGS",
                                "--port=41641 --tun=tailscale0"},
                      ShellCase{"Q=\"say \\\"hi\\\" \\$HOME\"", "Q", "say \"hi\" $HOME"},
                      ShellCase{"S='a \"b\" $c'", "S", "a \"b\" $c"},
                      ShellCase{"M=ab\"c d\"'e'", "M", "abc de"}, ShellCase{"E=", "E", ""},
                      ShellCase{"#ENABLED=yes", "ENABLED", nullptr},
                      ShellCase{"ENABLED yes", "ENABLED", nullptr},
                      ShellCase{"1BAD=x", "1BAD", nullptr}, ShellCase{"A-B=x", "A-B", nullptr}));

TEST(ParseShellVars, LaterAssignmentWins) {
  auto vars = parse_shell_vars("PORT=1\r\nPORT=2\n");
  EXPECT_EQ(vars.at("PORT"), "2");
}

// ---- util/strings ------------------------------------------------------------------------------

using SV = std::vector<std::string_view>;

TEST(ParsersStrings, Trim) {
  EXPECT_EQ(dh::trim("  a b \t\r\n"), "a b");
  EXPECT_EQ(dh::trim(""), "");
  EXPECT_EQ(dh::trim(" \t "), "");
  EXPECT_EQ(dh::trim_right("  a  "), "  a");
}

TEST(ParsersStrings, SplitWsDropsEmptyFields) {
  EXPECT_EQ(dh::split_ws("  a\t b  c "), (SV{"a", "b", "c"}));
  EXPECT_TRUE(dh::split_ws(" \t").empty());
}

TEST(ParsersStrings, SplitKeepsEmptyFields) {
  EXPECT_EQ(dh::split("a::b:", ':'), (SV{"a", "", "b", ""}));
  EXPECT_EQ(dh::split("", ':'), (SV{""}));
}

TEST(ParsersStrings, SplitLinesDropsCrAndFinalEmptyLine) {
  EXPECT_EQ(dh::split_lines("a\r\nb\n\nc\n"), (SV{"a", "b", "", "c"}));
  EXPECT_EQ(dh::split_lines("a"), (SV{"a"}));
  EXPECT_TRUE(dh::split_lines("").empty());
}

TEST(ParsersStrings, CaseHelpers) {
  EXPECT_EQ(dh::to_lower("PermitRootLogin"), "permitrootlogin");
  EXPECT_TRUE(dh::iequals("APT::Periodic", "apt::periodic"));
  EXPECT_FALSE(dh::iequals("APT::Periodic", "apt::periodi"));
  EXPECT_TRUE(dh::starts_with_icase("Match User x", "match "));
  EXPECT_FALSE(dh::starts_with_icase("Mat", "match"));
}

}  // namespace
}  // namespace dh::facts
