// Runbook step 5: SSH hardening as a drop-in that sshd reads first.
#include <ostream>
#include <map>
#include <set>

#include "facts/gather.h"
#include "facts/parsers.h"
#include "steps/preflight.h"
#include "steps/fail2ban.h"
#include "steps/preflight.h"
#include "steps/step.h"
#include "steps/steps_internal.h"
#include "util/strings.h"

namespace dh::steps {
namespace {

constexpr const char* kMainConfig = "/etc/ssh/sshd_config";
constexpr const char* kSshd = "/usr/sbin/sshd";
constexpr const char* kRootKeys = "/root/.ssh/authorized_keys";

// keyword (lower-case, as `sshd -T` prints it) -> value, in the runbook's order.
const std::vector<std::pair<std::string, std::string>>& hardened_settings() {
  static const std::vector<std::pair<std::string, std::string>> settings = {
      {"PermitRootLogin", "no"},       {"PasswordAuthentication", "no"}, {"KbdInteractiveAuthentication", "no"},
      {"AuthenticationMethods", "publickey"}, {"X11Forwarding", "no"}, {"AllowAgentForwarding", "no"},
      {"PermitTunnel", "no"},          {"MaxAuthTries", "3"},           {"MaxSessions", "5"},
      {"LoginGraceTime", "30"},        {"ClientAliveInterval", "300"},  {"ClientAliveCountMax", "2"},
  };
  return settings;
}

facts::SshdConfigWalk walk(host::Host& host) {
  facts::ConfigSource source{[&](const std::string& path) { return host.files.read(path); },
                             [&](const std::string& pattern) { return facts::glob_paths(host, pattern); }};
  return facts::walk_sshd_config(source, kMainConfig);
}

bool is_sftp_subsystem(const facts::SshdSetting& s) {
  if (s.keyword != "subsystem") return false;
  auto f = split_ws(s.value);
  return !f.empty() && f[0] == "sftp";
}

// Comments out the given 1-based lines.
std::string comment_out(const std::string& text, const std::set<int>& lines) {
  std::string out;
  int n = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    size_t end = nl == std::string::npos ? text.size() : nl + 1;
    ++n;
    if (lines.count(n)) out += "# disabled by devbox-harden (--sftp no): ";
    out += text.substr(start, end - start);
    start = end;
  }
  return out;
}

std::string reload_hint() { return "reload sshd yourself (`systemctl reload ssh`, or `kill -HUP` its pid)"; }

class SshHardeningStep : public Step {
 public:
  int number() const override { return 5; }
  std::string_view name() const override { return "SSH hardening"; }
  std::string_view slug() const override { return "ssh"; }
  GateKind gate() const override { return GateKind::new_ssh; }
  bool deadman() const override { return true; }

  Expected<StepPlan> plan(host::Host& host, const Options& options) override {
    if (!host.files.exists(kSshd)) return Error{std::string(kSshd) + " is missing: openssh-server is not installed"};
    auto main_text = host.files.read(kMainConfig);
    if (!main_text) return Error{"cannot read " + std::string(kMainConfig) + ": " + main_text.error()};
    auto w = walk(host);
    StepPlan plan;
    std::map<std::string, std::set<int>> to_comment;  // file -> lines
    std::vector<const facts::SshdSetting*> sftp_elsewhere;
    for (const auto& s : w.settings)
      if (is_sftp_subsystem(s) && s.file != kSshDropIn) sftp_elsewhere.push_back(&s);

    std::string dropin =
        "# Written by devbox-harden (runbook step 5: SSH hardening).\n"
        "# sshd keeps the FIRST value it reads for a keyword, so this file is named to sort before\n"
        "# every other drop-in (cloud-init's 50-cloud-init.conf must lose). Undo: devbox-harden rollback 5\n";
    for (const auto& [k, v] : hardened_settings()) dropin += k + " " + v + "\n";
    if (options.sftp == "yes") {
      if (sftp_elsewhere.empty()) {
        dropin += "Subsystem sftp internal-sftp\n";
      } else {
        // A second "Subsystem sftp" is a fatal "already defined" error for sshd.
        plan.notes.push_back("sftp stays enabled as configured: Subsystem " + sftp_elsewhere.front()->value + " (" +
                             sftp_elsewhere.front()->file + ":" + std::to_string(sftp_elsewhere.front()->line) + ")");
      }
    } else if (options.sftp == "no") {
      for (const auto* s : sftp_elsewhere) to_comment[s->file].insert(s->line);
      if (!sftp_elsewhere.empty()) plan.notes.push_back("sftp is disabled by commenting out its Subsystem line");
    } else {
      plan.notes.push_back("sftp left as configured (use --sftp yes|no to choose)");
    }

    // sshd_config: the Include of the drop-in directory (without it every drop-in is ignored),
    // and any Subsystem line to disable.
    std::string main_new = *main_text;
    if (to_comment.count(kMainConfig)) main_new = comment_out(main_new, to_comment[kMainConfig]);
    if (!w.main_includes_dropin_dir) {
      main_new = "# Added by devbox-harden: without it sshd ignores sshd_config.d/.\n"
                 "Include /etc/ssh/sshd_config.d/*.conf\n\n" + main_new;
      plan.notes.push_back(std::string(kMainConfig) + " has no Include of sshd_config.d: adding one at the top");
    }
    if (main_new != *main_text) plan.changes.push_back(std::make_unique<engine::FileContent>(kMainConfig, main_new));
    for (const auto& [file, lines] : to_comment) {
      if (file == kMainConfig) continue;
      auto text = host.files.read(file);
      if (!text) return Error{"cannot read " + file + ": " + text.error()};
      plan.changes.push_back(std::make_unique<engine::FileContent>(file, comment_out(*text, lines)));
    }
    plan.changes.push_back(std::make_unique<engine::FileContent>(kSshDropIn, dropin, 0644));
    // Root's keys go (backed up, so rollback returns them): root logs in through sudo only.
    auto keys = host.files.read(kRootKeys);
    remove_root_keys_ = keys && has_key_line(*keys);
    if (remove_root_keys_) plan.changes.push_back(engine::FileContent::absent(kRootKeys));
    add_fail2ban_changes(host, plan);
    return plan;
  }

  Status preflight(host::Host& host, const Options& options) override {
    std::string user = options.login_user;
    if (user.empty()) user = host.env.get("SUDO_USER").value_or("");
    if (user.empty() || user == "root")
      return Error{
          "refusing to disable password and root logins: cannot tell which account you log in with "
          "(SUDO_USER is " + std::string(user.empty() ? "unset" : "root") +
          "). Run it with sudo from your own account, or name it with --login-user NAME."};
    if (auto s = preflight_password_disable(host, user); !s)
      return Error{"refusing to disable password logins: " + s.error() +
                   ". Add your public key first (ssh-copy-id " + user + "@this-box) and check you can log in with it."};
    if (remove_root_keys_) {
      auto other = preflight_root_key_removal(host);
      if (!other) return Error{other.error()};
    }
    return ok_status();
  }

  Status validate(host::Host& host) override {
    host::RunOptions options;
    options.timeout = std::chrono::seconds(30);
    auto r = host.commands.run({kSshd, "-t"}, options);
    if (!r) return Error{"cannot run sshd -t: " + r.error()};
    if (r->exit_code != 0)
      return Error{"sshd -t rejected the configuration: " + std::string(trim(r->err.empty() ? r->out : r->err))};
    return ok_status();
  }

  Status activate(host::Host& host, engine::Applier& applier) override {
    std::string why_not;
    auto argv = sshd_reload_argv(host, why_not);
    if (argv.empty()) {
      applier.note("not reloading sshd: " + why_not);
    } else if (auto s = applier.run_command(argv, {}); !s) {
      return s;
    }
    return fail2ban_activate(host, applier);
  }

  Status verify(host::Host& host, const Options& options) override {
    host::RunOptions run;
    run.timeout = std::chrono::seconds(30);
    auto r = host.commands.run({kSshd, "-T"}, run);
    if (!r) return Error{"cannot run sshd -T: " + r.error()};
    if (r->exit_code != 0) return Error{"sshd -T failed: " + std::string(trim(r->err))};
    auto effective = facts::parse_sshd_T(r->out);
    if (!effective) return Error{effective.error()};
    std::vector<std::string> wrong;
    for (const auto& [k, v] : hardened_settings()) {
      auto got = effective->get(to_lower(k));
      if (!got || !iequals(*got, v)) wrong.push_back(k + " is " + got.value_or("unset") + " (wanted " + v + ")");
    }
    bool has_sftp = false;
    if (auto it = effective->values.find("subsystem"); it != effective->values.end())
      for (const auto& line : it->second)
        if (line.starts_with("sftp")) has_sftp = true;
    if (options.sftp == "yes" && !has_sftp) wrong.push_back("no sftp subsystem (wanted one)");
    if (options.sftp == "no" && has_sftp) wrong.push_back("an sftp subsystem is still defined (wanted none)");
    // A Match block can give some connections back what the drop-in took away; sshd shows that
    // only with -C, once per block, for a connection that matches it.
    auto w = walk(host);
    auto passwd = host.files.read("/etc/passwd");
    auto group = host.files.read("/etc/group");
    auto users = passwd ? facts::parse_passwd(*passwd) : std::vector<facts::PasswdEntry>{};
    auto groups = group ? facts::parse_group(*group) : std::vector<facts::GroupEntry>{};
    std::set<std::pair<std::string, int>> seen;
    for (const auto& block : w.matches) {
      if (!seen.emplace(block.file, block.line).second) continue;
      std::string spec = facts::match_connection_spec(block, groups, users);
      auto m = host.commands.run({kSshd, "-T", "-C", spec}, run);
      if (!m || m->exit_code != 0) {
        wrong.push_back("sshd -T -C " + spec + " failed");
        continue;
      }
      auto inside = facts::parse_sshd_T(m->out);
      if (!inside) continue;
      for (const char* key : {"permitrootlogin", "passwordauthentication", "kbdinteractiveauthentication"}) {
        auto got = inside->get(key).value_or("?");
        if (got != "no")
          wrong.push_back(block.file + ":" + std::to_string(block.line) + " Match " + block.criteria + " sets " + key +
                          " " + got + " (for " + spec + ")");
      }
    }
    if (!wrong.empty()) return Error{"sshd -T after the change: " + join(wrong, "; ")};
    return fail2ban_verify(host);
  }

  void after_rollback(host::Host& host, std::ostream& out) override {
    reload_after_rollback(host, out);
  }

 private:
  static bool has_key_line(const std::string& text) {
    for (auto line : split_lines(text)) {
      auto t = trim(line);
      if (!t.empty() && t.front() != '#') return true;
    }
    return false;
  }

  // Set by plan(), read by preflight(): the engine asks both of the same step, in that order.
  bool remove_root_keys_ = false;

  static void reload_after_rollback(host::Host& host, std::ostream& out) {
    std::string why_not;
    auto argv = sshd_reload_argv(host, why_not);
    if (argv.empty()) {
      out << "    not reloading sshd: " << why_not << "\n";
      return;
    }
    auto r = host.commands.run(argv, {});
    if (!r || r->exit_code != 0)
      out << "    WARNING: `" << engine::argv_text(argv) << "` failed; " << reload_hint() << "\n";
    else
      out << "    ran: " << engine::argv_text(argv) << "\n";
  }
};

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

std::string base64_decode(std::string_view text) {
  std::string out;
  int bits = 0, value = 0;
  for (char c : text) {
    if (c == '=') break;
    int v = base64_value(c);
    if (v < 0) return "";
    value = (value << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((value >> bits) & 0xff);
    }
  }
  return out;
}

bool known_key_type(std::string_view t) {
  static const std::set<std::string_view> types = {
      "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
      "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com"};
  if (types.count(t)) return true;
  // Certificates: ssh-ed25519-cert-v01@openssh.com and friends.
  constexpr std::string_view cert = "-cert-v01@openssh.com";
  return t.ends_with(cert) && types.count(t.substr(0, t.size() - cert.size()));
}

}  // namespace

std::unique_ptr<Step> make_ssh_step() { return std::make_unique<SshHardeningStep>(); }

bool is_valid_authorized_key_line(std::string_view line) {
  line = trim(line);
  if (line.empty() || line.front() == '#') return false;
  auto tokens = split_ws(line);
  for (size_t i = 0; i + 1 < tokens.size(); ++i) {
    if (!known_key_type(tokens[i])) continue;
    auto blob = base64_decode(tokens[i + 1]);
    // The blob starts with the key type as an SSH string: 4-byte length, then the name.
    if (blob.size() < 4 + tokens[i].size() + 16) return false;
    uint32_t len = (static_cast<unsigned char>(blob[0]) << 24) | (static_cast<unsigned char>(blob[1]) << 16) |
                   (static_cast<unsigned char>(blob[2]) << 8) | static_cast<unsigned char>(blob[3]);
    return len == tokens[i].size() && blob.compare(4, len, tokens[i]) == 0;
  }
  return false;
}

Expected<std::string> user_key_evidence(host::Host& host, const std::string& user) {
  auto passwd = host.files.read("/etc/passwd");
  if (!passwd) return Error{"cannot read /etc/passwd: " + passwd.error()};
  const facts::PasswdEntry* entry = nullptr;
  auto entries = facts::parse_passwd(*passwd);
  for (const auto& e : entries)
    if (e.name == user) entry = &e;
  if (!entry) return Error{"user '" + user + "' is not in /etc/passwd"};
  if (!facts::is_login_shell(entry->shell)) return Error{"user '" + user + "' has no login shell (" + entry->shell + ")"};
  std::vector<std::string> problems;
  for (const char* name : {"/.ssh/authorized_keys", "/.ssh/authorized_keys2"}) {
    std::string path = entry->home + name;
    auto info = host.files.stat(path);
    if (!info) continue;
    // sshd's StrictModes ignores keys in a file others can write to.
    if ((info->mode & 022) != 0 || (info->uid != entry->uid && info->uid != 0)) {
      problems.push_back(path + " is writable by others or not owned by " + user + " (sshd ignores it)");
      continue;
    }
    auto text = host.files.read(path);
    if (!text) {
      problems.push_back(text.error());
      continue;
    }
    int valid = 0;
    for (auto line : split_lines(*text))
      if (is_valid_authorized_key_line(line)) ++valid;
    if (valid > 0) return path + ": " + std::to_string(valid) + " valid key(s)";
    problems.push_back(path + " has no valid key line");
  }
  if (problems.empty()) return Error{user + " has no ~/.ssh/authorized_keys (" + entry->home + "/.ssh/authorized_keys)"};
  return Error{join(problems, "; ")};
}

std::vector<std::string> sshd_reload_argv(host::Host& host, std::string& why_not) {
  if (!host.live()) {
    why_not = "working on a tree (--root " + host.root + "); its sshd reads the file when it starts";
    return {};
  }
  if (!host.processes || !host.processes->systemd_booted()) {
    // Without systemd (a container, a chroot) sshd's own pid file names the listener; SIGHUP
    // makes it re-execute with the new files, keeping its pid and every open session.
    auto pid_text = host.files.read("/run/sshd.pid");
    std::string pid = pid_text ? std::string(trim(*pid_text)) : "";
    if (!pid.empty() && pid.find_first_not_of("0123456789") == std::string::npos) {
      auto comm = host.processes ? host.processes->read_proc(pid + "/comm") : Expected<std::string>(Error{""});
      if (comm && trim(*comm) == "sshd") return {"kill", "-HUP", pid};
    }
    why_not = "systemd is not running here (PID 1 is not systemd) and /run/sshd.pid names no running sshd; " +
              reload_hint();
    return {};
  }
  auto socket = host.commands.run({"systemctl", "is-active", "--quiet", "ssh.socket"}, {});
  if (socket && socket->exit_code == 0) {
    // Ubuntu 24.04 socket-activates ssh: each new connection starts sshd with the files as they are.
    why_not = "ssh.socket is active: every new connection reads the new configuration";
    return {};
  }
  for (const char* unit : {"ssh.service", "sshd.service"}) {
    auto active = host.commands.run({"systemctl", "is-active", "--quiet", unit}, {});
    if (active && active->exit_code == 0) return {"systemctl", "reload", unit};
  }
  why_not = "neither ssh.service nor sshd.service is active";
  return {};
}

}  // namespace dh::steps
