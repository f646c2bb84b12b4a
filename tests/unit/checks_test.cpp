// Checks are pure functions of facts: each test builds the facts a box would yield and asserts
// the verdict, so a regression in any rule turns a test red.
#include <gtest/gtest.h>

#include <algorithm>

#include "checks/checks.h"

namespace dh::checks {
namespace {

using facts::Facts;

Facts base_facts() {
  Facts f;
  f.os = facts::OsRelease{"debian", "12", "bookworm", "Debian GNU/Linux 12 (bookworm)"};
  f.kernel = std::string("6.1.0-18-cloud-amd64");
  return f;
}

facts::SshdEffective sshd(std::map<std::string, std::string> values) {
  facts::SshdEffective e;
  for (auto& [k, v] : values) e.values[k].push_back(v);
  return e;
}

Finding find(const Facts& f, const std::string& id) {
  auto findings = run_checks(f);
  auto it = std::find_if(findings.begin(), findings.end(), [&](const Finding& x) { return x.id == id; });
  EXPECT_NE(it, findings.end()) << id;
  return it == findings.end() ? Finding{} : *it;
}

TEST(Checks, EveryIssueIdIsPresentOnceInTableOrder) {
  const std::vector<std::string> expected = {
      "os.release", "net.listening", "firewall.status", "ssh.permit_root_login", "ssh.password_authentication",
      "ssh.kbd_interactive_authentication", "ssh.x11_forwarding", "ssh.max_auth_tries", "ssh.client_alive",
      "ssh.sftp_subsystem", "ssh.match_overrides", "ssh.dropin_order", "users.login_shells",
      "root.authorized_keys", "packages.security_tools", "updates.unattended", "sysctl.ip_forward",
      "sysctl.accept_redirects", "sysctl.accept_source_route", "sysctl.send_redirects", "services.enabled",
      "imds.tokens"};
  auto findings = run_checks(Facts{});
  std::vector<std::string> ids;
  for (const auto& f : findings) ids.push_back(f.id);
  EXPECT_EQ(ids, expected);
}

TEST(Checks, NothingGatheredMeansUnknownWithTheReasonNeverAnAbort) {
  for (const auto& f : run_checks(Facts{})) {
    EXPECT_EQ(f.status, Status::unknown) << f.id;
    EXPECT_NE(f.summary.find("not gathered"), std::string::npos) << f.id << ": " << f.summary;
    EXPECT_GT(f.remedy_step, 0) << f.id;
  }
}

struct SshCase {
  std::string id, key, value;
  Status expected;
};

class SshValueChecks : public ::testing::TestWithParam<SshCase> {};

TEST_P(SshValueChecks, JudgesTheEffectiveValue) {
  const auto& c = GetParam();
  Facts f = base_facts();
  f.sshd = sshd({{c.key, c.value}});
  auto finding = find(f, c.id);
  EXPECT_EQ(finding.status, c.expected) << c.id << " " << c.value << ": " << finding.summary;
  if (c.expected != Status::unknown) EXPECT_NE(finding.evidence.find(c.value), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    Table, SshValueChecks,
    ::testing::Values(SshCase{"ssh.permit_root_login", "permitrootlogin", "no", Status::good},
                      SshCase{"ssh.permit_root_login", "permitrootlogin", "without-password", Status::concerning},
                      SshCase{"ssh.permit_root_login", "permitrootlogin", "prohibit-password", Status::concerning},
                      SshCase{"ssh.permit_root_login", "permitrootlogin", "yes", Status::concerning},
                      SshCase{"ssh.password_authentication", "passwordauthentication", "yes", Status::concerning},
                      SshCase{"ssh.password_authentication", "passwordauthentication", "no", Status::good},
                      SshCase{"ssh.kbd_interactive_authentication", "kbdinteractiveauthentication", "yes",
                              Status::concerning},
                      SshCase{"ssh.kbd_interactive_authentication", "kbdinteractiveauthentication", "no", Status::good},
                      SshCase{"ssh.x11_forwarding", "x11forwarding", "yes", Status::concerning},
                      SshCase{"ssh.x11_forwarding", "x11forwarding", "no", Status::good},
                      SshCase{"ssh.max_auth_tries", "maxauthtries", "6", Status::concerning},
                      SshCase{"ssh.max_auth_tries", "maxauthtries", "4", Status::concerning},
                      SshCase{"ssh.max_auth_tries", "maxauthtries", "3", Status::good},
                      SshCase{"ssh.max_auth_tries", "maxauthtries", "many", Status::unknown},
                      SshCase{"ssh.client_alive", "clientaliveinterval", "0", Status::concerning},
                      SshCase{"ssh.client_alive", "clientaliveinterval", "300", Status::good}));

TEST(Checks, SshChecksAreUnknownWithSshdsOwnErrorWhenSshdTFails) {
  Facts f = base_facts();
  f.sshd = Error{"/usr/sbin/sshd -T failed (exit 1): sshd: no hostkeys available -- exiting."};
  auto finding = find(f, "ssh.password_authentication");
  EXPECT_EQ(finding.status, Status::unknown);
  EXPECT_NE(finding.summary.find("no hostkeys"), std::string::npos);
}

TEST(Checks, SftpSubsystemIsInformational) {
  Facts f = base_facts();
  f.sshd = sshd({{"subsystem", "sftp /usr/lib/openssh/sftp-server"}});
  auto finding = find(f, "ssh.sftp_subsystem");
  EXPECT_EQ(finding.status, Status::good);
  EXPECT_EQ(finding.severity, Severity::info);
  EXPECT_NE(finding.summary.find("/usr/lib/openssh/sftp-server"), std::string::npos);
  f.sshd = sshd({});
  EXPECT_NE(find(f, "ssh.sftp_subsystem").summary.find("no SFTP"), std::string::npos);
}

facts::SshdSetting setting(std::string key, std::string value, std::string file, int line) {
  return {std::move(key), std::move(value), std::move(file), line};
}

TEST(Checks, DropinOrderFlagsTheCloudInitFirstValuePitfall) {
  Facts f = base_facts();
  facts::SshdConfigWalk walk;
  walk.main_includes_dropin_dir = true;
  walk.files_read = {"/etc/ssh/sshd_config", "/etc/ssh/sshd_config.d/50-cloud-init.conf",
                     "/etc/ssh/sshd_config.d/99-hardening.conf"};
  walk.dropins_present = {walk.files_read[1], walk.files_read[2]};
  walk.settings = {setting("passwordauthentication", "yes", walk.files_read[1], 1),
                   setting("passwordauthentication", "no", walk.files_read[2], 2),
                   setting("subsystem", "sftp /usr/lib/openssh/sftp-server", "/etc/ssh/sshd_config", 110)};
  f.sshd_config = walk;
  auto finding = find(f, "ssh.dropin_order");
  EXPECT_EQ(finding.status, Status::concerning);
  EXPECT_NE(finding.evidence.find("99-hardening.conf:2"), std::string::npos) << finding.evidence;
  EXPECT_NE(finding.evidence.find("50-cloud-init.conf:1"), std::string::npos) << finding.evidence;

  // The same value twice is not a conflict; nor are keywords that accumulate.
  walk.settings[1].value = "yes";
  walk.settings.push_back(setting("subsystem", "sftp internal-sftp", walk.files_read[2], 3));
  f.sshd_config = walk;
  EXPECT_EQ(find(f, "ssh.dropin_order").status, Status::good);
}

TEST(Checks, DropinOrderFlagsAMainConfigWithoutInclude) {
  Facts f = base_facts();
  facts::SshdConfigWalk walk;
  walk.main_includes_dropin_dir = false;
  walk.files_read = {"/etc/ssh/sshd_config"};
  walk.dropins_present = {"/etc/ssh/sshd_config.d/99-hardening.conf"};
  f.sshd_config = walk;
  auto finding = find(f, "ssh.dropin_order");
  EXPECT_EQ(finding.status, Status::concerning);
  EXPECT_NE(finding.evidence.find("no Include"), std::string::npos);
  walk.dropins_present.clear();
  f.sshd_config = walk;
  EXPECT_EQ(find(f, "ssh.dropin_order").status, Status::good);
}

TEST(Checks, MatchBlockThatReEnablesPasswordsIsConcerning) {
  Facts f = base_facts();
  f.sshd = sshd({{"passwordauthentication", "no"}, {"permitrootlogin", "no"}, {"kbdinteractiveauthentication", "no"}});
  facts::SshdConfigWalk walk;
  facts::SshdMatchBlock block;
  block.criteria = "Address 10.0.0.0/8";
  block.criteria_pairs = {{"address", "10.0.0.0/8"}};
  block.file = "/etc/ssh/sshd_config";
  block.line = 120;
  walk.matches = {block};
  f.sshd_config = walk;
  facts::SshdMatchEvaluation evaluation{block, "user=alice,host=client.example,addr=10.0.0.0"};
  evaluation.effective =
      sshd({{"passwordauthentication", "yes"}, {"permitrootlogin", "no"}, {"kbdinteractiveauthentication", "no"}});
  f.sshd_matches = {evaluation};
  auto finding = find(f, "ssh.match_overrides");
  EXPECT_EQ(finding.status, Status::concerning);
  EXPECT_NE(finding.evidence.find("sshd_config:120"), std::string::npos);
  EXPECT_NE(finding.evidence.find("passwordauthentication yes"), std::string::npos);

  f.sshd_matches[0].effective = *f.sshd;
  EXPECT_EQ(find(f, "ssh.match_overrides").status, Status::good);
  f.sshd_matches[0].effective = sshd({{"passwordauthentication", "no"}, {"permitrootlogin", "yes"}});
  EXPECT_EQ(find(f, "ssh.match_overrides").status, Status::concerning);
}

facts::ListeningSocket listener(std::string proto, std::string address, uint16_t port, std::string process) {
  facts::ListeningSocket l;
  l.socket = {std::move(proto), std::move(address), port, 1};
  l.process = std::move(process);
  l.pid = l.process.empty() ? 0 : 4242;
  return l;
}

TEST(Checks, ListeningFlagsPublicDevServersOnly) {
  Facts f = base_facts();
  f.listening = std::vector<facts::ListeningSocket>{
      listener("tcp", "0.0.0.0", 22, "sshd"),          listener("tcp6", "::", 22, "sshd"),
      listener("tcp", "127.0.0.1", 5432, "postgres"),  listener("tcp", "100.101.102.103", 8080, "python3"),
      listener("udp", "0.0.0.0", 41641, "tailscaled"), listener("udp", "0.0.0.0", 68, "dhclient"),
      listener("tcp6", "::1", 631, "cupsd"),           listener("tcp6", "fd7a:115c:a1e0::1", 9000, "node")};
  EXPECT_EQ(find(f, "net.listening").status, Status::good);

  f.listening->push_back(listener("tcp", "0.0.0.0", 3000, "node"));
  f.listening->push_back(listener("tcp6", "::", 5173, "vite"));
  auto finding = find(f, "net.listening");
  EXPECT_EQ(finding.status, Status::concerning);
  EXPECT_NE(finding.evidence.find("0.0.0.0:3000 (node/4242)"), std::string::npos) << finding.evidence;
  EXPECT_NE(finding.evidence.find("[::]:5173"), std::string::npos) << finding.evidence;
  EXPECT_EQ(finding.summary.find("2 socket"), 0u) << finding.summary;
}

TEST(Checks, ListeningUsesTheConfiguredWireGuardPort) {
  Facts f = base_facts();
  f.wireguard_port = 41700;
  f.listening = std::vector<facts::ListeningSocket>{listener("udp", "0.0.0.0", 41641, "tailscaled")};
  EXPECT_EQ(find(f, "net.listening").status, Status::concerning);
  f.listening = std::vector<facts::ListeningSocket>{listener("udp", "0.0.0.0", 41700, "tailscaled")};
  EXPECT_EQ(find(f, "net.listening").status, Status::good);
}

TEST(Checks, FirewallNeedsDefaultDeny) {
  Facts f = base_facts();
  f.firewall = facts::FirewallState{"none", false, "ufw inactive; iptables INPUT policy ACCEPT"};
  EXPECT_EQ(find(f, "firewall.status").status, Status::concerning);
  f.firewall = facts::FirewallState{"ufw", true, "ufw active, default deny (incoming), 4 rules"};
  EXPECT_EQ(find(f, "firewall.status").status, Status::good);
}

TEST(Checks, LoginShellAccounts) {
  Facts f = base_facts();
  f.passwd = std::vector<facts::PasswdEntry>{{"root", 0, 0, "/root", "/bin/bash"},
                                             {"admin", 1000, 1000, "/home/admin", "/bin/bash"},
                                             {"www-data", 33, 33, "/var/www", "/usr/sbin/nologin"}};
  f.shadow = std::vector<facts::ShadowEntry>{{"root", "*"}, {"admin", "!"}, {"www-data", ""}};
  auto finding = find(f, "users.login_shells");
  EXPECT_EQ(finding.status, Status::good);
  EXPECT_EQ(finding.severity, Severity::info);
  EXPECT_NE(finding.evidence.find("admin (/bin/bash)"), std::string::npos);
  EXPECT_EQ(finding.evidence.find("www-data"), std::string::npos);

  f.shadow->at(1).hash = "";  // admin: a login shell and no password at all
  finding = find(f, "users.login_shells");
  EXPECT_EQ(finding.status, Status::concerning);
  EXPECT_NE(finding.summary.find("admin has a login shell and an empty password"), std::string::npos);

  f.shadow->at(1).hash = "!";
  f.passwd->push_back({"toor", 0, 0, "/root", "/bin/sh"});
  EXPECT_NE(find(f, "users.login_shells").summary.find("toor has UID 0"), std::string::npos);
}

TEST(Checks, RootAuthorizedKeys) {
  Facts f = base_facts();
  f.root_authorized_keys = std::string("# no keys here\n\n");
  EXPECT_EQ(find(f, "root.authorized_keys").status, Status::good);
  f.root_authorized_keys = std::string(
      "no-port-forwarding,command=\"echo 'Please login as the user \\\"admin\\\"'\" ssh-ed25519 AAAAC3Nza key\n");
  EXPECT_EQ(find(f, "root.authorized_keys").status, Status::concerning);
}

std::map<std::string, facts::DpkgPackage> packages(std::vector<std::pair<std::string, std::string>> list) {
  std::map<std::string, facts::DpkgPackage> out;
  for (auto& [name, status] : list) out[name] = facts::DpkgPackage{name, status, "1.0"};
  return out;
}

TEST(Checks, SecurityToolsNamesWhatIsMissingAndTheStepThatInstallsIt) {
  Facts f = base_facts();
  f.packages = packages({{"fail2ban", "deinstall ok config-files"}, {"unattended-upgrades", "install ok installed"}});
  auto finding = find(f, "packages.security_tools");
  EXPECT_EQ(finding.status, Status::concerning);
  EXPECT_EQ(finding.summary, "missing: fail2ban");
  EXPECT_EQ(finding.remedy_step, 5);
  f.packages = packages({{"fail2ban", "install ok installed"}});
  finding = find(f, "packages.security_tools");
  EXPECT_EQ(finding.summary, "missing: unattended-upgrades");
  EXPECT_EQ(finding.remedy_step, 7);
  f.packages = packages({{"fail2ban", "install ok installed"}, {"unattended-upgrades", "install ok installed"}});
  finding = find(f, "packages.security_tools");
  EXPECT_EQ(finding.status, Status::good);
  EXPECT_NE(finding.evidence.find("not installed: apparmor, auditd"), std::string::npos);
}

TEST(Checks, UnattendedUpgradesNeedsBothPeriodicSettings) {
  Facts f = base_facts();
  f.apt_conf = std::map<std::string, std::string>{{"APT::Periodic::Update-Package-Lists", "1"},
                                                  {"APT::Periodic::Unattended-Upgrade", "0"}};
  EXPECT_EQ(find(f, "updates.unattended").status, Status::concerning);
  f.apt_conf->at("APT::Periodic::Unattended-Upgrade") = "1";
  EXPECT_EQ(find(f, "updates.unattended").status, Status::good);
  f.apt_conf->erase("APT::Periodic::Update-Package-Lists");
  EXPECT_EQ(find(f, "updates.unattended").status, Status::concerning);
}

TEST(Checks, SysctlsReadLiveValues) {
  Facts f = base_facts();
  for (const auto& key : facts::watched_sysctls()) f.sysctls.emplace(key, std::string("0"));
  for (const char* id : {"sysctl.ip_forward", "sysctl.accept_redirects", "sysctl.accept_source_route",
                         "sysctl.send_redirects"})
    EXPECT_EQ(find(f, id).status, Status::good) << id;
  f.sysctls.at("net.ipv6.conf.default.accept_redirects") = std::string("1");
  f.sysctls.at("net.ipv4.conf.default.accept_source_route") = std::string("1");
  f.sysctls.at("net.ipv4.conf.all.send_redirects") = std::string("1");
  auto redirects = find(f, "sysctl.accept_redirects");
  EXPECT_EQ(redirects.status, Status::concerning);
  EXPECT_NE(redirects.summary.find("net.ipv6.conf.default.accept_redirects"), std::string::npos);
  EXPECT_EQ(find(f, "sysctl.accept_source_route").status, Status::concerning);
  EXPECT_EQ(find(f, "sysctl.send_redirects").status, Status::concerning);
}

TEST(Checks, IpForwardIsFineWhenDockerNeedsIt) {
  Facts f = base_facts();
  f.sysctls.emplace("net.ipv4.ip_forward", std::string("1"));
  EXPECT_EQ(find(f, "sysctl.ip_forward").status, Status::concerning);
  f.forwarding.reasons = {"docker.io installed"};
  auto finding = find(f, "sysctl.ip_forward");
  EXPECT_EQ(finding.status, Status::good);
  EXPECT_NE(finding.summary.find("docker.io installed"), std::string::npos);
}

TEST(Checks, SysctlsUnderRootAreUnknownNotLive) {
  Facts f = base_facts();
  f.live = false;
  for (const auto& key : facts::watched_sysctls()) f.sysctls.emplace(key, Error{"not the live system"});
  auto finding = find(f, "sysctl.accept_redirects");
  EXPECT_EQ(finding.status, Status::unknown);
  EXPECT_EQ(finding.summary, "unknown: not the live system");
}

TEST(Checks, UnneededServices) {
  Facts f = base_facts();
  f.enabled_units = std::set<std::string>{"ssh.service", "cron.service", "getty@tty1.service"};
  EXPECT_EQ(find(f, "services.enabled").status, Status::good);
  f.enabled_units->insert("ModemManager.service");
  f.enabled_units->insert("multipathd.socket");
  auto finding = find(f, "services.enabled");
  EXPECT_EQ(finding.status, Status::concerning);
  EXPECT_NE(finding.summary.find("ModemManager.service"), std::string::npos);
  EXPECT_NE(finding.summary.find("multipathd.socket"), std::string::npos);
}

TEST(Checks, ImdsTokens) {
  Facts f = base_facts();
  aws::ImdsProbe probe;
  probe.endpoint = "http://169.254.169.254";
  probe.v1_answers = true;
  probe.v1_status = 200;
  f.imds = probe;
  EXPECT_EQ(find(f, "imds.tokens").status, Status::concerning);
  probe.v1_answers = false;
  probe.v1_status = 401;
  probe.v2_works = true;
  f.imds = probe;
  EXPECT_EQ(find(f, "imds.tokens").status, Status::good);
  f.imds = Error{"not on EC2 (no Amazon EC2 signature)"};
  EXPECT_EQ(find(f, "imds.tokens").summary, "unknown: not on EC2 (no Amazon EC2 signature)");
}

TEST(Checks, ReportOrderPutsConcerningFirstBySeverity) {
  std::vector<Finding> findings = {{"a", Status::good, Severity::high},
                                   {"b", Status::concerning, Severity::low},
                                   {"c", Status::unknown, Severity::high},
                                   {"d", Status::concerning, Severity::high}};
  sort_for_report(findings);
  std::string order;
  for (const auto& f : findings) order += f.id;
  EXPECT_EQ(order, "dbca");
}

}  // namespace
}  // namespace dh::checks
