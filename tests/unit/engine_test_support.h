#pragma once
// A fake devbox for engine and step tests: Debian 12's sshd_config, a cloud-init drop-in that
// turns passwords on, a user "alice" with a real ed25519 key, and an `sshd -T` that applies the
// files the way sshd does (first value wins, drop-ins first).
#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>
#include <tuple>

#include "engine/engine.h"
#include "fakes/fake_host.h"
#include "util/strings.h"

namespace dh::testing {

inline const char* kAliceKey =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAzW2esCvTv154kI8SeeGDWXlm7gd8D8900Wvvl/ST/b alice@laptop";

inline const char* kDebianSshdConfig =
    "Include /etc/ssh/sshd_config.d/*.conf\n"
    "#PermitRootLogin prohibit-password\n"
    "KbdInteractiveAuthentication no\n"
    "UsePAM yes\n"
    "X11Forwarding yes\n"
    "PrintMotd no\n"
    "AcceptEnv LANG LC_*\n"
    "Subsystem\tsftp\t/usr/lib/openssh/sftp-server\n";

// What `sshd -T` prints for the files in the fake: drop-ins (sorted) are read at the Include,
// the first value of a keyword wins, then the defaults.
inline std::string fake_sshd_T(fake::FakeFiles& files) {
  std::map<std::string, std::string> first;
  std::vector<std::string> subsystems;
  auto apply = [&](const std::string& text) {
    for (auto line : split_lines(text)) {
      auto f = split_ws(line);
      if (f.empty() || f[0].front() == '#') continue;
      std::string key = to_lower(f[0]);
      if (key == "include" || key == "match") continue;
      std::string value;
      for (size_t i = 1; i < f.size(); ++i) value += (i > 1 ? " " : "") + std::string(f[i]);
      if (key == "subsystem") subsystems.push_back(value);
      else if (!first.count(key)) first[key] = to_lower(value);
    }
  };
  auto main = files.files.count("/etc/ssh/sshd_config") ? files.files["/etc/ssh/sshd_config"].content : "";
  if (main.find("Include /etc/ssh/sshd_config.d/*.conf") != std::string::npos)
    for (auto& [path, f] : files.files)
      if (path.starts_with("/etc/ssh/sshd_config.d/") && path.ends_with(".conf")) apply(f.content);
  apply(main);
  std::map<std::string, std::string> defaults = {
      {"permitrootlogin", "without-password"}, {"passwordauthentication", "yes"},
      {"kbdinteractiveauthentication", "yes"}, {"authenticationmethods", "any"},
      {"x11forwarding", "no"},                 {"allowagentforwarding", "yes"},
      {"permittunnel", "no"},                  {"maxauthtries", "6"},
      {"maxsessions", "10"},                   {"logingracetime", "120"},
      {"clientaliveinterval", "0"},            {"clientalivecountmax", "3"},
      {"allowtcpforwarding", "yes"}};
  for (auto& [k, v] : defaults) first.emplace(k, v);
  std::string out;
  for (auto& [k, v] : first) out += k + " " + v + "\n";
  for (auto& s : subsystems) out += "subsystem " + s + "\n";
  return out;
}

struct FakeBox {
  fake::FakeHost fake;
  std::ostringstream out, err;
  int sshd_t_exit = 0;

  FakeBox() {
    auto& f = fake.files;
    f.add("/usr/sbin/sshd", "ELF", 0755);
    f.add("/etc/ssh/sshd_config", kDebianSshdConfig, 0644);
    f.add("/etc/ssh/sshd_config.d/50-cloud-init.conf", "PasswordAuthentication yes\n", 0600);
    f.add("/etc/passwd",
          "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:Alice:/home/alice:/bin/bash\n"
          "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
    f.add("/home/alice/.ssh/authorized_keys", std::string(kAliceKey) + "\n", 0600, 1000, 1000);
    f.add_dir("/var/lib");
    fake.env.vars["SUDO_USER"] = "alice";
    fake.commands.handlers["/usr/sbin/sshd -t"] = [this](const auto&, const auto&) -> Expected<host::CommandResult> {
      return host::CommandResult{sshd_t_exit, "", sshd_t_exit ? "/etc/ssh/sshd_config line 3: Bad configuration" : "", false};
    };
    fake.commands.handlers["/usr/sbin/sshd -T"] = [this](const auto&, const auto&) -> Expected<host::CommandResult> {
      return host::CommandResult{0, fake_sshd_T(fake.files), "", false};
    };
    // fail2ban installed but not running (no systemd here): step 5 starts it and checks the jail.
    f.add("/usr/bin/fail2ban-client", "#!/usr/bin/python3\n", 0755);
    auto fail2ban = [this](int exit_when_running, int exit_when_stopped, int set_running) {
      return [this, exit_when_running, exit_when_stopped, set_running](const auto&, const auto&) -> Expected<host::CommandResult> {
        int exit = fail2ban_running ? exit_when_running : exit_when_stopped;
        if (set_running >= 0) fail2ban_running = set_running == 1;
        return host::CommandResult{exit, "", exit ? "Failed to access socket path: /var/run/fail2ban/fail2ban.sock" : "", false};
      };
    };
    fake.commands.handlers["/usr/bin/fail2ban-client ping"] = fail2ban(0, 255, -1);
    fake.commands.handlers["/usr/bin/fail2ban-client status sshd"] = fail2ban(0, 255, -1);
    fake.commands.handlers["/usr/bin/fail2ban-client -b start"] = fail2ban(255, 0, 1);
    fake.commands.handlers["/usr/bin/fail2ban-client reload"] = fail2ban(0, 255, -1);
    fake.commands.handlers["/usr/bin/fail2ban-client stop"] = fail2ban(0, 255, 0);
    fake.commands.handlers["systemctl enable fail2ban"] = fail2ban(0, 0, -1);
    fake.commands.handlers["systemctl disable fail2ban"] = fail2ban(0, 0, -1);
    fake.commands.handlers["systemctl restart fail2ban"] = fail2ban(0, 0, 1);
  }
  bool fail2ban_running = false;
  host::Host& host() { return fake.host; }
  engine::Engine engine() { return engine::Engine(fake.host, engine::kDefaultStateDir, out, err); }
  engine::HardenOptions only5(std::string sftp = "keep") {
    engine::HardenOptions o;
    o.only = {5};
    o.yes = true;
    o.step.sftp = std::move(sftp);
    return o;
  }
  void advance(int seconds) { fake.clock.time += std::chrono::seconds(seconds); }
  int64_t now() const {
    return std::chrono::duration_cast<std::chrono::seconds>(fake.clock.time.time_since_epoch()).count();
  }
  // Every file outside the state directory: path -> (type, content, mode, uid, gid).
  std::map<std::string, std::tuple<int, std::string, mode_t, uid_t, gid_t>> snapshot() const {
    std::map<std::string, std::tuple<int, std::string, mode_t, uid_t, gid_t>> s;
    for (const auto& [p, f] : fake.files.files)
      if (!p.starts_with("/var/lib/devbox-harden"))
        s[p] = {static_cast<int>(f.type), f.content, f.mode, f.uid, f.gid};
    return s;
  }
  // Writes outside the state directory.
  std::vector<std::string> system_writes() const {
    std::vector<std::string> w;
    for (const auto& x : fake.files.writes)
      if (x.find("/var/lib/devbox-harden") == std::string::npos) w.push_back(x);
    return w;
  }
  std::vector<nlohmann::json> journal() {
    engine::Journal j(fake.host, engine::kDefaultStateDir);
    EXPECT_TRUE(j.load().ok());
    return j.records();
  }
  std::string token_of_open_gate() {
    auto g = engine::open_gate(journal());
    return g ? g->token : "";
  }
  // A /proc where the current process (4242, "devbox-harden confirm") runs under sudo, a shell
  // and an sshd session process that holds the TCP connection local -> remote.
  void add_ssh_session(const std::string& local_hex, const std::string& remote_hex, int64_t session_start,
                       bool tcp6 = false) {
    auto& p = fake.processes;
    const int64_t boot = 1'700'000'000;
    p.proc["stat"] = "cpu  1 2 3\nbtime " + std::to_string(boot) + "\nprocesses 10\n";
    auto stat = [&](int pid, const std::string& comm, int ppid, int64_t start) {
      std::string s = std::to_string(pid) + " (" + comm + ") S " + std::to_string(ppid);
      for (int field = 5; field <= 21; ++field) s += " 0";
      s += " " + std::to_string((start - boot) * 100) + " 0 0\n";
      p.proc[std::to_string(pid) + "/stat"] = s;
    };
    stat(4242, "devbox-harden", 4000, session_start + 5);
    p.proc["4242/cmdline"] = std::string("devbox-harden\0confirm\0", 22);
    stat(4000, "sudo", 3900, session_start + 4);
    p.proc["4000/cmdline"] = std::string("sudo\0devbox-harden\0confirm\0", 27);
    stat(3900, "bash", 3800, session_start + 1);
    p.proc["3900/cmdline"] = std::string("-bash\0", 6);
    stat(3800, "sshd", 3700, session_start);
    p.proc["3800/cmdline"] = std::string("sshd: alice@pts/0\0", 18);
    p.links["3800/fd/3"] = "socket:[777]";
    p.links["3800/fd/4"] = "pipe:[12]";
    stat(3700, "sshd", 1, session_start);
    p.proc["3700/cmdline"] = std::string("sshd: alice [priv]\0", 19);
    p.links["3700/fd/3"] = "socket:[777]";
    stat(1, "init", 0, boot);
    p.proc["1/cmdline"] = std::string("/sbin/init\0", 11);
    std::string header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
    std::string row = "   0: " + local_hex + " " + remote_hex +
                      " 01 00000000:00000000 02:0009D5A1 00000000     0        0 777 4 0000000000000000 20 4 30 10 -1\n";
    std::string listen = "   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 555 1 0000000000000000 100 0 0 10 0\n";
    p.proc[tcp6 ? "net/tcp6" : "net/tcp"] = header + listen + row;
    if (!tcp6) p.proc["net/tcp6"] = header;
  }
};

// 172.31.5.10:22 (box) and 203.0.113.7:50000 (laptop), as /proc/net/tcp prints them.
inline const char* kBoxPublic22 = "0A051FAC:0016";
inline const char* kLaptopPublic = "077100CB:C350";
// 100.101.102.103:22 (box on the tailnet) and 100.64.1.2:50000 (laptop on the tailnet).
inline const char* kBoxTailnet22 = "67666564:0016";
inline const char* kLaptopTailnet = "02014064:C350";

}  // namespace dh::testing
