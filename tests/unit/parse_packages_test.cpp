// dpkg status and APT configuration.
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

// ---- dpkg ---------------------------------------------------------------------------------------

struct DpkgCase {
  const char* fixture;
  const char* name;
  const char* status;  // nullptr: absent
  const char* version;
  bool installed;
};

class ParseDpkgStatusFixtures : public ::testing::TestWithParam<DpkgCase> {};

TEST_P(ParseDpkgStatusFixtures, Package) {
  const auto& c = GetParam();
  auto pkgs = parse_dpkg_status(slurp(c.fixture));
  auto it = pkgs.find(c.name);
  if (c.status == nullptr) {
    EXPECT_EQ(it, pkgs.end()) << c.name;
    return;
  }
  ASSERT_NE(it, pkgs.end()) << c.name;
  EXPECT_EQ(it->second.name, c.name);
  EXPECT_EQ(it->second.status, c.status);
  EXPECT_EQ(it->second.version, c.version);
  EXPECT_EQ(it->second.installed(), c.installed);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ParseDpkgStatusFixtures,
    ::testing::Values(
        DpkgCase{"dpkg/status-debian12-minbase.txt", "openssh-server", "install ok installed",
                 "1:9.2p1-2+deb12u10", true},
        DpkgCase{"dpkg/status-debian12-minbase.txt", "ufw", "install ok installed", "0.36.2-1",
                 true},
        DpkgCase{"dpkg/status-debian12-minbase.txt", "fail2ban", "install ok installed", "1.0.2-2",
                 true},
        DpkgCase{"dpkg/status-debian12-minbase.txt", "unattended-upgrades", nullptr, "", false},
        DpkgCase{"dpkg/status-crafted.txt", "ufw", "deinstall ok config-files", "0.36.2-1", false},
        DpkgCase{"dpkg/status-crafted.txt", "fail2ban", "install ok half-installed", "1.0.2-2",
                 false},
        DpkgCase{"dpkg/status-crafted.txt", "snapd", "hold ok installed", "2.63+24.04ubuntu0.1",
                 true},
        // Multi-arch: the removed i386 stanza comes first, the installed amd64 one wins.
        DpkgCase{"dpkg/status-crafted.txt", "libc6", "install ok installed", "2.36-9+deb12u14",
                 true},
        // Multi-arch: the installed amd64 stanza comes first and is not replaced.
        DpkgCase{"dpkg/status-crafted.txt", "libssl3", "install ok installed", "3.0.17-1~deb12u2",
                 true},
        DpkgCase{"dpkg/status-crafted.txt", "unattended-upgrades", "install ok installed",
                 "2.9.1+nmu3", true}));

TEST(ParseDpkgStatus, RealStatusHasEveryPackageInstalled) {
  std::string text = slurp("dpkg/status-debian12-minbase.txt");
  auto pkgs = parse_dpkg_status(text);
  size_t stanzas = 0;
  for (size_t pos = 0; (pos = text.find("Package: ", pos)) != std::string::npos; ++pos)
    if (pos == 0 || text[pos - 1] == '\n') ++stanzas;
  EXPECT_EQ(pkgs.size(), stanzas);
  for (const auto& [name, p] : pkgs) {
    EXPECT_TRUE(p.installed()) << name;
    EXPECT_FALSE(p.version.empty()) << name;
  }
}

TEST(ParseDpkgStatus, ContinuationLinesDoNotLeakIntoFields) {
  // A description line that looks like a field must not overwrite Version.
  auto pkgs = parse_dpkg_status(
      "Package: demo\nStatus: install ok installed\nVersion: 1.0\nDescription: x\n"
      " Version: 9.9\n Package: evil\n");
  ASSERT_EQ(pkgs.size(), 1u);
  EXPECT_EQ(pkgs.at("demo").version, "1.0");
}

TEST(ParseDpkgStatus, InstalledDependsOnTheLastStatusWord) {
  struct Case {
    const char* status;
    bool installed;
  };
  for (const Case& c :
       {Case{"install ok installed", true}, Case{"deinstall ok installed", true},
        Case{"hold ok installed", true}, Case{"deinstall ok config-files", false},
        Case{"install ok half-installed", false}, Case{"install ok unpacked", false},
        Case{"purge ok not-installed", false}, Case{"", false}}) {
    DpkgPackage p{"x", c.status, "1"};
    EXPECT_EQ(p.installed(), c.installed) << c.status;
  }
}

// ---- APT configuration
// ---------------------------------------------------------------------------

TEST(ParseAptConf, TwentyAutoUpgradesFlatForm) {
  std::map<std::string, std::string> conf;
  parse_apt_conf(slurp("apt/20auto-upgrades-debian.txt"), conf);
  EXPECT_EQ(conf.size(), 2u);
  EXPECT_EQ(conf.at("APT::Periodic::Update-Package-Lists"), "1");
  EXPECT_EQ(conf.at("APT::Periodic::Unattended-Upgrade"), "1");
}

TEST(ParseAptConf, NestedFormLaterFileOverridesCaseInsensitively) {
  std::map<std::string, std::string> conf;
  // Fed in lexical order, as the caller does.
  parse_apt_conf(slurp("apt/20auto-upgrades-debian.txt"), conf);
  parse_apt_conf(slurp("apt/99-devbox-nested.txt"), conf);
  EXPECT_EQ(apt_conf_get(conf, "APT::Periodic::Update-Package-Lists"), "1");
  EXPECT_EQ(apt_conf_get(conf, "APT::Periodic::Download-Upgradeable-Packages"), "1");
  EXPECT_EQ(apt_conf_get(conf, "APT::Periodic::AutocleanInterval"), "7");
  // "apt::periodic::unattended-upgrade" in the later file turns it off.
  EXPECT_EQ(apt_conf_get(conf, "APT::Periodic::Unattended-Upgrade"), "0");
  EXPECT_EQ(apt_conf_get(conf, "apt::periodic::UNATTENDED-upgrade"), "0");
  // One entry per key whatever the spelling: the first spelling is kept.
  EXPECT_EQ(conf.count("APT::Periodic::Unattended-Upgrade"), 1u);
  EXPECT_EQ(conf.count("apt::periodic::unattended-upgrade"), 0u);
  EXPECT_FALSE(apt_conf_get(conf, "DPkg::Pre-Install-Pkgs").has_value());
}

TEST(ParseAptConf, CommentsAndListsOfUnattendedUpgrades) {
  std::map<std::string, std::string> conf;
  parse_apt_conf(slurp("apt/50unattended-upgrades-excerpt.txt"), conf);
  // Commented-out lines, including the one inside /* */, assign nothing.
  EXPECT_FALSE(apt_conf_get(conf, "Unattended-Upgrade::Automatic-Reboot").has_value());
  EXPECT_FALSE(apt_conf_get(conf, "APT::Periodic::Unattended-Upgrade").has_value());
  EXPECT_EQ(apt_conf_get(conf, "Unattended-Upgrade::Mail"), "root");
  // "//" inside a quoted value is not a comment.
  EXPECT_EQ(apt_conf_get(conf, "Acquire::http::Proxy"), "http://proxy.internal:3128/");
  auto origins = apt_conf_get(conf, "Unattended-Upgrade::Origins-Pattern::");
  ASSERT_TRUE(origins.has_value());
  EXPECT_EQ(*origins,
            "origin=Debian,codename=${distro_codename},label=Debian\n"
            "origin=Debian,codename=${distro_codename},label=Debian-Security\n"
            "origin=Debian,codename=${distro_codename}-security,label=Debian-Security");
  // An all-comment block yields no items but is still a block, not a key with junk.
  EXPECT_FALSE(apt_conf_get(conf, "Unattended-Upgrade::Package-Blacklist::").has_value());
}

TEST(ParseAptConf, RealDebianFilesWithHashCommentsInsideBlocks) {
  std::map<std::string, std::string> conf;
  parse_apt_conf(slurp("apt/01autoremove-debian12.txt"), conf);
  parse_apt_conf(slurp("apt/70debconf-debian12.txt"), conf);
  auto kernels = apt_conf_get(conf, "APT::VersionedKernelPackages::");
  ASSERT_TRUE(kernels.has_value());
  // "# kernels" and "# (out-of-tree) modules" are comments, not items.
  EXPECT_EQ(*kernels, "linux-.*\nkfreebsd-.*\ngnumach-.*\n.*-modules\n.*-kernel");
  EXPECT_EQ(apt_conf_get(conf, "APT::Never-MarkAuto-Sections::"), "metapackages\ntasks");
  EXPECT_EQ(apt_conf_get(conf, "DPkg::Pre-Install-Pkgs::"),
            "/usr/sbin/dpkg-preconfigure --apt || true");
  // Scopes close properly: nothing leaked under a wrong prefix.
  for (const auto& [k, v] : conf) {
    EXPECT_TRUE(k.rfind("APT::", 0) == 0 || k.rfind("DPkg::", 0) == 0) << k;
  }
}

struct AptLineCase {
  const char* text;
  const char* key;
  const char* value;  // nullptr: must be absent
};

class ParseAptConfLines : public ::testing::TestWithParam<AptLineCase> {};

TEST_P(ParseAptConfLines, Statement) {
  const auto& c = GetParam();
  std::map<std::string, std::string> conf;
  parse_apt_conf(c.text, conf);
  auto v = apt_conf_get(conf, c.key);
  if (c.value == nullptr) {
    EXPECT_FALSE(v.has_value()) << c.text;
  } else {
    ASSERT_TRUE(v.has_value()) << c.text;
    EXPECT_EQ(*v, c.value) << c.text;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Syntax, ParseAptConfLines,
    ::testing::Values(
        AptLineCase{"APT::Periodic::Unattended-Upgrade \"1\";", "APT::Periodic::Unattended-Upgrade",
                    "1"},
        AptLineCase{"APT::Periodic::Unattended-Upgrade \"1\" ;",
                    "APT::Periodic::Unattended-Upgrade", "1"},
        AptLineCase{"APT::Periodic::Unattended-Upgrade\t\"1\";\n",
                    "APT::Periodic::Unattended-Upgrade", "1"},
        AptLineCase{"APT::Periodic { Unattended-Upgrade \"1\"; };",
                    "APT::Periodic::Unattended-Upgrade", "1"},
        AptLineCase{"APT{Periodic{Unattended-Upgrade \"1\";};};",
                    "APT::Periodic::Unattended-Upgrade", "1"},
        AptLineCase{
            "APT::Periodic::Unattended-Upgrade \"0\";\nAPT::Periodic::Unattended-Upgrade \"1\";",
            "APT::Periodic::Unattended-Upgrade", "1"},
        AptLineCase{"// APT::Periodic::Unattended-Upgrade \"1\";",
                    "APT::Periodic::Unattended-Upgrade", nullptr},
        AptLineCase{"# APT::Periodic::Unattended-Upgrade \"1\";",
                    "APT::Periodic::Unattended-Upgrade", nullptr},
        AptLineCase{"/* APT::Periodic::Unattended-Upgrade \"1\"; */",
                    "APT::Periodic::Unattended-Upgrade", nullptr},
        AptLineCase{"APT::X \"a#b//c\"; // tail", "APT::X", "a#b//c"},
        AptLineCase{"#clear APT::X;\nAPT::Y \"2\";", "APT::Y", "2"},
        AptLineCase{"#clear APT::X;\nAPT::Y \"2\";", "APT::X", nullptr},
        AptLineCase{"APT::Empty \"\";", "APT::Empty", ""}));

}  // namespace
}  // namespace dh::facts
