// The gatherer against a fake host: what it reads, what it runs, and that it never writes.
#include <gtest/gtest.h>

#include <algorithm>

#include "aws/imds.h"
#include "facts/gather.h"
#include "fakes/fake_host.h"

namespace dh::facts {
namespace {

bool ran(const fake::FakeHost& h, const std::string& prefix) {
  return std::any_of(h.commands.ran.begin(), h.commands.ran.end(),
                     [&](const std::string& line) { return line.starts_with(prefix); });
}

TEST(GatherListening, MapsSocketInodesToProcesses) {
  fake::FakeHost h;
  h.files.add("/proc/net/tcp",
              "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
              "   0: 00000000:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 5555 1 0 100 0 0 10 0\n"
              "   1: 0100007F:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000   108        0 6666 1 0 100 0 0 10 0\n");
  h.files.add("/proc/net/udp", "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n");
  h.files.add("/proc/4242/comm", "node\n");
  h.files.add_symlink("/proc/4242/fd/0", "/dev/null");
  h.files.add_symlink("/proc/4242/fd/21", "socket:[5555]");
  h.files.add("/proc/77/comm", "postgres\n");
  h.files.add_symlink("/proc/77/fd/5", "socket:[6666]");
  h.files.add("/proc/self/comm", "devbox-harden\n");  // not a pid: skipped
  auto listening = gather_listening(h.host);
  ASSERT_TRUE(listening.ok()) << listening.error();
  ASSERT_EQ(listening->size(), 2u);
  EXPECT_EQ((*listening)[0].socket.address, "0.0.0.0");
  EXPECT_EQ((*listening)[0].socket.port, 3000);
  EXPECT_EQ((*listening)[0].process, "node");
  EXPECT_EQ((*listening)[0].pid, 4242);
  EXPECT_EQ((*listening)[1].socket.address, "127.0.0.1");
  EXPECT_EQ((*listening)[1].process, "postgres");
}

TEST(GatherListening, IsUnknownUnderRoot) {
  fake::FakeHost h("/mnt/image");
  auto listening = gather_listening(h.host);
  ASSERT_FALSE(listening.ok());
  EXPECT_EQ(listening.error(), "not the live system");
  EXPECT_TRUE(h.files.reads.empty());
}

TEST(GatherUnits, ReadsWantsDirectoriesAndHonoursMasks) {
  fake::FakeHost h;
  h.files.add_symlink("/etc/systemd/system/multi-user.target.wants/ssh.service", "/lib/systemd/system/ssh.service");
  h.files.add_symlink("/etc/systemd/system/multi-user.target.wants/ModemManager.service",
                      "/lib/systemd/system/ModemManager.service");
  h.files.add_symlink("/etc/systemd/system/sockets.target.wants/multipathd.socket",
                      "/lib/systemd/system/multipathd.socket");
  h.files.add_symlink("/etc/systemd/system/multipathd.socket", "/dev/null");
  h.files.add_symlink("/etc/systemd/system/sshd.service", "/lib/systemd/system/ssh.service");
  auto units = gather_enabled_units(h.host);
  ASSERT_TRUE(units.ok()) << units.error();
  EXPECT_EQ(*units, (std::set<std::string>{"ModemManager.service", "ssh.service"}));
}

TEST(GatherSshdMatch, ConnectionSpecSatisfiesTheCriteria) {
  std::vector<PasswdEntry> users = {{"root", 0, 0, "/root", "/bin/bash"},
                                    {"alice", 1000, 1000, "/home/alice", "/bin/bash"},
                                    {"deploy", 1001, 1001, "/home/deploy", "/bin/bash"}};
  std::vector<GroupEntry> groups = {{"sftponly", 2000, {"deploy"}}, {"admins", 2001, {}}};
  auto spec = [&](std::vector<std::pair<std::string, std::string>> pairs) {
    SshdMatchBlock block;
    block.criteria_pairs = std::move(pairs);
    return match_connection_spec(block, groups, users);
  };
  EXPECT_EQ(spec({{"user", "de*"}}), "user=deploy,host=client.example,addr=192.0.2.10");
  EXPECT_EQ(spec({{"user", "!root,bob"}}), "user=bob,host=client.example,addr=192.0.2.10");
  EXPECT_EQ(spec({{"group", "sftponly"}}), "user=deploy,host=client.example,addr=192.0.2.10");
  EXPECT_EQ(spec({{"address", "10.0.0.0/8"}}), "user=alice,host=client.example,addr=10.0.0.0");
  EXPECT_EQ(spec({{"host", "*.corp.example"}, {"localport", "2222"}}),
            "user=alice,host=x.corp.example,addr=192.0.2.10,lport=2222");
  EXPECT_EQ(spec({{"all", ""}}), "user=alice,host=client.example,addr=192.0.2.10");
}

TEST(GatherTailscaledPort, ReadsPortOrDefaults) {
  EXPECT_EQ(parse_tailscaled_port("# Set the port to listen on for incoming VPN packets.\nPORT=\"41700\"\nFLAGS=\"\"\n"), 41700);
  EXPECT_EQ(parse_tailscaled_port("PORT=\"0\"\n"), 41641);
  EXPECT_EQ(parse_tailscaled_port("FLAGS=\"\"\n"), 41641);
  EXPECT_EQ(parse_tailscaled_port("PORT=notaport\n"), 41641);
}

TEST(GatherImds, NoPacketWhenTheFirmwareSaysNotEc2) {
  fake::FakeHost h;
  h.files.add("/sys/class/dmi/id/sys_vendor", "QEMU\n");
  auto probe = aws::probe_imds(h.host);
  ASSERT_FALSE(probe.ok());
  EXPECT_NE(probe.error().find("not on EC2"), std::string::npos);
  EXPECT_TRUE(h.http.requests.empty());
}

TEST(GatherImds, TokenFlowAndTokenlessProbe) {
  fake::FakeHost h;
  h.files.add("/sys/class/dmi/id/sys_vendor", "Amazon EC2\n");
  h.http.replies["PUT http://169.254.169.254/latest/api/token"] = {200, "TOKEN"};
  h.http.replies["GET http://169.254.169.254/latest/meta-data/instance-id"] = {401, ""};
  auto probe = aws::probe_imds(h.host);
  ASSERT_TRUE(probe.ok()) << probe.error();
  EXPECT_FALSE(probe->v1_answers);
  EXPECT_EQ(probe->v1_status, 401);
  EXPECT_EQ(h.http.requests.front(), "PUT http://169.254.169.254/latest/api/token");

  h.http.replies["GET http://169.254.169.254/latest/meta-data/instance-id"] = {200, "i-0abc"};
  probe = aws::probe_imds(h.host);
  ASSERT_TRUE(probe.ok());
  EXPECT_TRUE(probe->v1_answers);
  EXPECT_EQ(probe->instance_id, "i-0abc");
}

TEST(GatherImds, HonoursTheEndpointVariableAndReportsSilence) {
  fake::FakeHost h;
  h.env.vars["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = "http://127.0.0.1:1338/";
  auto probe = aws::probe_imds(h.host);
  ASSERT_FALSE(probe.ok());
  EXPECT_NE(probe.error().find("no answer from IMDS at http://127.0.0.1:1338"), std::string::npos) << probe.error();
  ASSERT_EQ(h.http.requests.size(), 1u);
  EXPECT_EQ(h.http.requests[0], "PUT http://127.0.0.1:1338/latest/api/token");
}

// A minimal but complete box: enough for every gatherer to find its source.
void add_box(fake::FakeHost& h) {
  h.files.add("/etc/os-release", "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n");
  h.files.add("/etc/hostname", "devbox\n");
  h.files.add("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\nadmin:x:1000:1000::/home/admin:/bin/bash\n");
  h.files.add("/etc/shadow", "root:*:19000:0:99999:7:::\nadmin:!:19000:0:99999:7:::\n", 0640);
  h.files.add("/etc/group", "root:x:0:\nsudo:x:27:admin\n");
  h.files.add("/usr/sbin/sshd", "", 0755);
  h.files.add("/etc/ssh/sshd_config", "Include /etc/ssh/sshd_config.d/*.conf\nMatch User admin\n  X11Forwarding yes\n");
  h.files.add("/etc/ssh/sshd_config.d/50-cloud-init.conf", "PasswordAuthentication yes\n");
  h.commands.reply("/usr/sbin/sshd -T", "port 22\npasswordauthentication yes\nx11forwarding no\n");
  h.commands.reply("/usr/sbin/sshd -T -C user=admin,host=client.example,addr=192.0.2.10",
                   "port 22\npasswordauthentication yes\nx11forwarding yes\n");
  h.files.add("/var/lib/dpkg/status", "Package: fail2ban\nStatus: install ok installed\nVersion: 1.0\n\n");
  h.files.add("/etc/apt/apt.conf.d/20auto-upgrades",
              "APT::Periodic::Update-Package-Lists \"1\";\nAPT::Periodic::Unattended-Upgrade \"1\";\n");
  h.files.add("/etc/ufw/ufw.conf", "ENABLED=no\n");
  h.files.add("/usr/sbin/ufw", "", 0755);
}

TEST(Gather, UnderRootReadsTheTreeRunsOnlyReadOnlyCommandsAndWritesNothing) {
  fake::FakeHost h("/srv/tree");
  add_box(h);
  h.commands.reply("/usr/sbin/ufw status verbose", "Status: inactive\n");
  auto facts = gather(h.host);
  EXPECT_TRUE(h.files.writes.empty());
  for (const auto& line : h.commands.ran)
    EXPECT_TRUE(line.starts_with("/usr/sbin/sshd -T") || line == "/usr/sbin/ufw status verbose") << line;
  EXPECT_TRUE(ran(h, "/usr/sbin/sshd -T -C user=admin"));
  ASSERT_TRUE(facts.hostname.ok());
  EXPECT_EQ(*facts.hostname, "devbox");
  EXPECT_EQ(facts.kernel.error(), "not the live system");
  EXPECT_EQ(facts.imds.error(), "not the live system");
  ASSERT_TRUE(facts.firewall.ok()) << facts.firewall.error();
  EXPECT_FALSE(facts.firewall->default_deny_incoming);
  EXPECT_NE(facts.firewall->evidence.find("ENABLED=no"), std::string::npos);
  for (const auto& read : h.files.reads) EXPECT_FALSE(read.starts_with("/proc/")) << read;
  ASSERT_EQ(facts.sshd_matches.size(), 1u);
  ASSERT_TRUE(facts.sshd_matches[0].effective.ok());
  EXPECT_EQ(facts.sshd_matches[0].effective->get("x11forwarding"), "yes");
}

TEST(Gather, AMissingToolIsAReasonNotAnAbort) {
  fake::FakeHost h;
  add_box(h);
  h.files.files.erase("/usr/sbin/sshd");
  h.files.files.erase("/etc/shadow");
  auto facts = gather(h.host);
  EXPECT_EQ(facts.sshd.error(), "sshd is not installed (no /usr/sbin/sshd)");
  EXPECT_FALSE(facts.shadow.ok());
  EXPECT_TRUE(facts.passwd.ok());
  EXPECT_TRUE(facts.packages.ok());
  ASSERT_TRUE(facts.apt_conf.ok());
  EXPECT_EQ(facts.apt_conf->at("APT::Periodic::Unattended-Upgrade"), "1");
}

}  // namespace
}  // namespace dh::facts
