// ufw, iptables and nft outputs. Inactive ufw and the fresh-namespace iptables listing are real;
// the active outputs are written from ufw's own format strings and iptables-nft's conventions
// (tests/data/README.md says which is which).
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

// ---- ufw ----------------------------------------------------------------------------------------

struct UfwCase {
  const char* fixture;
  bool active;
  const char* incoming;
  const char* outgoing;
  const char* routed;
  std::vector<std::string> rules;
};

class ParseUfwStatusFixtures : public ::testing::TestWithParam<UfwCase> {};

TEST_P(ParseUfwStatusFixtures, Status) {
  const auto& c = GetParam();
  auto st = parse_ufw_status(slurp(c.fixture));
  ASSERT_TRUE(st.ok()) << st.error();
  EXPECT_EQ(st->active, c.active);
  EXPECT_EQ(st->default_incoming, c.incoming);
  EXPECT_EQ(st->default_outgoing, c.outgoing);
  EXPECT_EQ(st->default_routed, c.routed);
  EXPECT_EQ(st->rules, c.rules);
}

INSTANTIATE_TEST_SUITE_P(
    Outputs, ParseUfwStatusFixtures,
    ::testing::Values(
        UfwCase{"ufw/status-verbose-inactive.txt", false, "", "", "", {}},
        // The rule lines carry ufw's %-26s padding; it is trimmed away.
        UfwCase{"ufw/status-verbose-active-tailscale.txt",
                true,
                "deny",
                "allow",
                "disabled",
                {"Anywhere on tailscale0     ALLOW IN    Anywhere",
                 "41641/udp                  ALLOW IN    Anywhere",
                 "Anywhere (v6) on tailscale0 ALLOW IN    Anywhere (v6)",
                 "41641/udp (v6)             ALLOW IN    Anywhere (v6)"}},
        // Incoming, outgoing and routed sections are separated by blank lines.
        UfwCase{"ufw/status-verbose-active-open-ssh.txt",
                true,
                "deny",
                "allow",
                "deny",
                {"22/tcp (OpenSSH)           ALLOW IN    Anywhere",
                 "80,443/tcp (Nginx Full)    ALLOW IN    Anywhere",
                 "22/tcp                     LIMIT IN    203.0.113.0/24",
                 "22/tcp (OpenSSH (v6))      ALLOW IN    Anywhere (v6)",
                 "80,443/tcp (Nginx Full (v6)) ALLOW IN    Anywhere (v6)",
                 "Anywhere                   DENY OUT    Anywhere on eth1",
                 "Anywhere on docker0        ALLOW FWD   Anywhere on tailscale0"}},
        UfwCase{"ufw/status-verbose-active-no-rules.txt", true, "reject", "allow", "allow", {}}));

TEST(ParseUfwStatus, UnrecognisedTextIsAnError) {
  for (const char* text : {"", "ERROR: You need to be root to run this script\n",
                           "Status: confused\n", "ufw: command not found\n"}) {
    auto st = parse_ufw_status(text);
    EXPECT_FALSE(st.ok()) << text;
    EXPECT_FALSE(st.error().empty());
  }
}

TEST(ParseUfwStatus, NonVerboseActiveOutputHasRulesButNoDefaults) {
  auto st = parse_ufw_status(
      "Status: active\n\nTo                         Action      From\n"
      "--                         ------      ----\n"
      "22/tcp                     ALLOW       Anywhere                  \n");
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(st->active);
  EXPECT_TRUE(st->default_incoming.empty());
  EXPECT_EQ(st->rules, std::vector<std::string>{"22/tcp                     ALLOW       Anywhere"});
}

// ---- iptables -S --------------------------------------------------------------------------------

TEST(ParseIptablesS, FreshNamespaceAcceptsEverything) {
  auto r = parse_iptables_S(slurp("iptables/S-fresh-netns.txt"));
  EXPECT_EQ(r.policies, (std::map<std::string, std::string>{
                            {"INPUT", "ACCEPT"}, {"FORWARD", "ACCEPT"}, {"OUTPUT", "ACCEPT"}}));
  EXPECT_TRUE(r.rules.empty());
}

TEST(ParseIptablesS, UfwActiveWithTailscale) {
  std::string text = slurp("iptables/S-ufw-active-tailscale.txt");
  auto r = parse_iptables_S(text);
  EXPECT_EQ(r.policies.at("INPUT"), "DROP");
  EXPECT_EQ(r.policies.at("FORWARD"), "DROP");
  EXPECT_EQ(r.policies.at("OUTPUT"), "ACCEPT");
  EXPECT_EQ(r.policies.size(), 3u);  // user chains (-N) have no policy
  size_t appends = 0;
  for (size_t pos = 0; (pos = text.find("\n-A ", pos)) != std::string::npos; ++pos) ++appends;
  EXPECT_EQ(r.rules.size(), appends);
  EXPECT_EQ(r.rules.front(), "-A INPUT -j ts-input");
  EXPECT_NE(std::find(r.rules.begin(), r.rules.end(), "-A ufw-user-input -i tailscale0 -j ACCEPT"),
            r.rules.end());
  // Quoted log prefixes survive intact.
  EXPECT_NE(std::find(r.rules.begin(), r.rules.end(),
                      "-A ufw-logging-deny -m limit --limit 3/min --limit-burst 10 -j LOG "
                      "--log-prefix \"[UFW BLOCK] \""),
            r.rules.end());
}

TEST(ParseIptablesS, WarningCommentIsIgnored) {
  auto r = parse_iptables_S(slurp("iptables/S-docker-legacy-warning.txt"));
  EXPECT_EQ(r.policies.at("FORWARD"), "DROP");
  EXPECT_EQ(r.policies.at("INPUT"), "ACCEPT");
  EXPECT_EQ(r.policies.size(), 3u);
  EXPECT_EQ(r.rules.size(), 12u);  // the fixture's -A lines; -N and the warning are not rules
  for (const auto& rule : r.rules) EXPECT_EQ(rule.rfind("-A ", 0), 0u) << rule;
}

TEST(ParseIptablesS, LastPolicyLineWinsAndJunkIsSkipped) {
  auto r = parse_iptables_S("-P INPUT ACCEPT\n-P INPUT DROP\n-P\n-A\n  -A INPUT -j ACCEPT  \r\n");
  EXPECT_EQ(r.policies.at("INPUT"), "DROP");
  EXPECT_EQ(r.rules, std::vector<std::string>{"-A INPUT -j ACCEPT"});
}

// ---- nft list ruleset ---------------------------------------------------------------------------

using Chain = std::tuple<std::string, std::string, std::string, std::string, int>;

std::vector<Chain> chains(const std::vector<NftInputChain>& v) {
  std::vector<Chain> out;
  for (const auto& c : v) out.emplace_back(c.family, c.table, c.chain, c.policy, c.priority);
  return out;
}

struct NftCase {
  const char* fixture;
  std::vector<Chain> expected;
};

class ParseNftInputChains : public ::testing::TestWithParam<NftCase> {};

TEST_P(ParseNftInputChains, InputBaseChains) {
  EXPECT_EQ(chains(parse_nft_input_chains(slurp(GetParam().fixture))), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Rulesets, ParseNftInputChains,
    ::testing::Values(
        // ufw through iptables-nft: one input chain per family, forward/output/nat ignored.
        NftCase{"nft/ruleset-ufw-iptables-nft.txt",
                {{"ip", "filter", "INPUT", "drop", 0}, {"ip6", "filter", "INPUT", "drop", 0}}},
        // Debian's stock /etc/nftables.conf states no policy: accept.
        NftCase{"nft/nftables.conf-debian12-default.txt",
                {{"inet", "filter", "input", "accept", 0}}},
        NftCase{"nft/ruleset-mixed-priorities.txt",
                {{"inet", "filter", "input", "drop", 10},
                 {"ip", "mangle", "INPUT", "accept", -150},
                 {"inet", "extra", "ts-input", "accept", -1},
                 {"ip", "early", "in", "accept", -150},
                 // The bridge family numbers "filter" differently (-200).
                 {"bridge", "br", "in", "accept", -200}}}));

TEST(ParseNftRuleset, PriorityExpressions) {
  struct Case {
    const char* prio;
    int want;
  };
  for (const Case& c :
       {Case{"filter", 0}, Case{"0", 0}, Case{"-300", -300}, Case{"raw", -300},
        Case{"mangle", -150}, Case{"dstnat", -100}, Case{"security", 50}, Case{"srcnat", 100},
        Case{"filter + 5", 5}, Case{"filter - 5", -5}, Case{"mangle+1", -149}, Case{"100", 100}}) {
    std::string text =
        std::string("table inet t {\n\tchain c {\n\t\ttype filter hook input priority ") + c.prio +
        "; policy drop;\n\t}\n}\n";
    auto v = parse_nft_input_chains(text);
    ASSERT_EQ(v.size(), 1u) << c.prio;
    EXPECT_EQ(v[0].priority, c.want) << c.prio;
    EXPECT_EQ(v[0].policy, "drop");
  }
}

TEST(ParseNftRuleset, OneLineChainsTableWithoutFamilyAndNoInputHook) {
  auto v = parse_nft_input_chains(
      "table t { chain a { type filter hook input priority 0; policy drop; } "
      "chain b { type filter hook output priority 0; policy drop; } chain c { counter } }\n");
  EXPECT_EQ(chains(v), (std::vector<Chain>{{"ip", "t", "a", "drop", 0}}));
  EXPECT_TRUE(parse_nft_input_chains("").empty());
}

}  // namespace
}  // namespace dh::facts
