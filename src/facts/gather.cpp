#include "facts/gather.h"

#include <fnmatch.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <map>

#include "util/strings.h"

namespace dh::facts {
namespace {

using host::Host;

constexpr auto kCommandTimeout = std::chrono::milliseconds(5000);

std::string first_line(std::string_view text) {
  auto t = trim(text);
  return std::string(t.substr(0, t.find('\n')));
}

// "ssh -T failed (exit 255): <first stderr line>"
std::string command_failure(const std::string& what, const host::CommandResult& r) {
  if (r.timed_out) return what + " timed out";
  std::string detail = first_line(r.err.empty() ? r.out : r.err);
  return what + " failed (exit " + std::to_string(r.exit_code) + ")" + (detail.empty() ? "" : ": " + detail);
}

Expected<std::string> run_text(Host& host, const std::vector<std::string>& argv) {
  host::RunOptions options;
  options.timeout = kCommandTimeout;
  auto result = host.commands.run(argv, options);
  if (!result) return Error{result.error()};
  if (result->exit_code != 0) return Error{command_failure(join(argv, " "), *result)};
  return result->out;
}

Expected<std::string> read_first(Host& host, std::initializer_list<const char*> paths) {
  std::string last_error;
  for (const char* path : paths) {
    auto text = host.files.read(path);
    if (text) return text;
    last_error = text.error();
  }
  return Error{last_error};
}

Expected<OsRelease> gather_os(Host& host) {
  auto text = read_first(host, {"/etc/os-release", "/usr/lib/os-release"});
  if (!text) return Error{text.error()};
  return parse_os_release(*text);
}

bool sshd_installed(Host& host) { return host.files.exists("/usr/sbin/sshd"); }

Expected<SshdEffective> run_sshd_T(Host& host, const std::string& spec = "") {
  std::vector<std::string> argv = {"/usr/sbin/sshd", "-T"};
  if (!spec.empty()) {
    argv.push_back("-C");
    argv.push_back(spec);
  }
  auto text = run_text(host, argv);
  if (!text) return Error{text.error()};
  return parse_sshd_T(*text);
}

Expected<FirewallState> gather_firewall_live(Host& host) {
  std::vector<std::string> notes;
  if (host.files.exists("/usr/sbin/ufw")) {
    auto text = run_text(host, {"/usr/sbin/ufw", "status", "verbose"});
    if (text) {
      auto status = parse_ufw_status(*text);
      if (status && status->active) {
        FirewallState state{"ufw", status->default_incoming == "deny" || status->default_incoming == "reject",
                            "ufw active, default " + status->default_incoming + " (incoming), " +
                                std::to_string(status->rules.size()) + " rules"};
        return state;
      }
      notes.push_back(status ? "ufw inactive" : "ufw status: " + status.error());
    } else {
      notes.push_back(text.error());
    }
  } else {
    notes.push_back("ufw not installed");
  }
  if (host.files.exists("/usr/sbin/nft")) {
    auto text = run_text(host, {"/usr/sbin/nft", "list", "ruleset"});
    if (text) {
      for (const auto& chain : parse_nft_input_chains(*text)) {
        if (chain.policy == "drop")
          return FirewallState{"nftables", true,
                               "nftables " + chain.family + " " + chain.table + " chain " + chain.chain +
                                   ": hook input policy drop"};
      }
      notes.push_back("no nftables input chain with policy drop");
    } else {
      notes.push_back(text.error());
    }
  }
  for (const char* tool : {"/usr/sbin/iptables", "/sbin/iptables"}) {
    if (!host.files.exists(tool)) continue;
    auto text = run_text(host, {tool, "-S", "INPUT"});
    if (text) {
      auto rules = parse_iptables_S(*text);
      auto policy = rules.policies.count("INPUT") ? rules.policies["INPUT"] : "ACCEPT";
      if (policy == "DROP" || policy == "REJECT")
        return FirewallState{"iptables", true, "iptables INPUT policy " + policy};
      notes.push_back("iptables INPUT policy " + policy);
    } else {
      notes.push_back(text.error());
    }
    break;
  }
  return FirewallState{"none", false, join(notes, "; ")};
}

// Under --root there is no live ruleset: ask the tree's ufw (in an empty network namespace, as
// every command run for a tree), and read what the configuration would enable at boot.
Expected<FirewallState> gather_firewall_tree(Host& host) {
  auto conf = host.files.read("/etc/ufw/ufw.conf");
  if (!conf) return FirewallState{"none", false, "no /etc/ufw/ufw.conf in the tree (ufw not installed)"};
  auto enabled = parse_shell_vars(*conf)["ENABLED"];
  auto defaults = host.files.read("/etc/default/ufw");
  std::string input_policy = defaults ? parse_shell_vars(*defaults)["DEFAULT_INPUT_POLICY"] : "";
  if (to_lower(enabled) != "yes") {
    std::string evidence = "ufw.conf ENABLED=" + (enabled.empty() ? std::string("(unset)") : enabled);
    auto text = run_text(host, {"/usr/sbin/ufw", "status", "verbose"});
    if (text) evidence += "; ufw says: " + first_line(*text);
    return FirewallState{"ufw configuration", false, evidence};
  }
  bool deny = input_policy == "DROP" || input_policy == "REJECT";
  return FirewallState{"ufw configuration", deny,
                       "ufw.conf ENABLED=yes, DEFAULT_INPUT_POLICY=" + input_policy + " (configuration, not live)"};
}

Expected<std::map<std::string, std::string>> gather_apt_conf(Host& host) {
  std::map<std::string, std::string> conf;
  auto names = host.files.list_dir("/etc/apt/apt.conf.d");
  if (!names && !host.files.exists("/etc/apt/apt.conf")) return Error{"/etc/apt/apt.conf.d: " + names.error()};
  auto valid = [](const std::string& name) {
    // APT skips names with other characters and backup/packaging leftovers.
    if (name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") !=
        std::string::npos)
      return false;
    for (const char* suffix : {".dpkg-old", ".dpkg-dist", ".dpkg-new", ".dpkg-tmp", ".ucf-old", ".ucf-dist",
                               ".ucf-new", ".disabled", ".save", ".bak"})
      if (name.size() > strlen(suffix) && name.ends_with(suffix)) return false;
    return true;
  };
  if (names)
    for (const auto& name : *names) {
      if (!valid(name)) continue;
      auto text = host.files.read("/etc/apt/apt.conf.d/" + name);
      if (text) parse_apt_conf(*text, conf);
    }
  if (auto main = host.files.read("/etc/apt/apt.conf")) parse_apt_conf(*main, conf);
  return conf;
}

void gather_forwarding_need(Host& host, Facts& facts) {
  auto& reasons = facts.forwarding.reasons;
  if (facts.packages) {
    for (const char* name : {"docker.io", "docker-ce", "containerd", "containerd.io", "podman", "lxd", "incus",
                             "libvirt-daemon-system"}) {
      auto it = facts.packages->find(name);
      if (it != facts.packages->end() && it->second.installed()) reasons.push_back(std::string(name) + " installed");
    }
  }
  if (host.files.exists("/snap/bin/docker")) reasons.push_back("docker snap installed");
  if (facts.live && host.files.exists("/usr/bin/tailscale")) {
    auto prefs = run_text(host, {"/usr/bin/tailscale", "debug", "prefs"});
    if (prefs) {
      auto pos = prefs->find("\"AdvertiseRoutes\"");
      if (pos != std::string::npos) {
        auto open = prefs->find('[', pos), close = prefs->find(']', pos);
        if (open != std::string::npos && close != std::string::npos &&
            trim(std::string_view(*prefs).substr(open + 1, close - open - 1)).size() > 0)
          reasons.push_back("tailscale advertises routes (subnet router or exit node)");
      }
    }
  }
}

}  // namespace

const std::vector<std::string>& watched_sysctls() {
  static const std::vector<std::string> keys = {
      "net.ipv4.ip_forward",
      "net.ipv4.conf.all.accept_redirects",
      "net.ipv4.conf.default.accept_redirects",
      "net.ipv6.conf.all.accept_redirects",
      "net.ipv6.conf.default.accept_redirects",
      "net.ipv4.conf.all.accept_source_route",
      "net.ipv4.conf.default.accept_source_route",
      "net.ipv4.conf.all.send_redirects",
      "net.ipv4.conf.default.send_redirects",
  };
  return keys;
}

uint16_t parse_tailscaled_port(std::string_view text) {
  auto vars = parse_shell_vars(text);
  auto it = vars.find("PORT");
  if (it == vars.end()) return 41641;
  unsigned value = 0;
  auto s = trim(it->second);
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || ptr != s.data() + s.size() || value == 0 || value > 65535) return 41641;
  return static_cast<uint16_t>(value);
}

std::vector<std::string> glob_paths(Host& host, const std::string& pattern) {
  auto slash = pattern.find_last_of('/');
  std::string dir = slash == std::string::npos || slash == 0 ? "/" : pattern.substr(0, slash);
  std::string leaf = slash == std::string::npos ? pattern : pattern.substr(slash + 1);
  std::vector<std::string> out;
  auto names = host.files.list_dir(dir);
  if (!names) return out;
  for (const auto& name : *names)
    if (::fnmatch(leaf.c_str(), name.c_str(), FNM_PERIOD) == 0) out.push_back(dir + "/" + name);
  return out;
}

uint16_t wireguard_port(Host& host) {
  auto text = host.files.read("/etc/default/tailscaled");
  return text ? parse_tailscaled_port(*text) : 41641;
}

Expected<std::vector<ListeningSocket>> gather_listening(Host& host) {
  if (!host.live()) return Error{"not the live system"};
  std::vector<ListeningSocket> sockets;
  std::string errors;
  for (const char* proto : {"tcp", "tcp6", "udp", "udp6"}) {
    auto text = host.files.read(std::string("/proc/net/") + proto);
    if (!text) {
      // A kernel without IPv6 has no tcp6/udp6; that is not a failure.
      if (std::string_view(proto).ends_with("6")) continue;
      return Error{text.error()};
    }
    for (auto& socket : parse_proc_net(*text, proto)) sockets.push_back({socket, 0, ""});
  }
  std::map<uint64_t, ListeningSocket*> by_inode;
  for (auto& s : sockets)
    if (s.socket.inode) by_inode[s.socket.inode] = &s;
  if (by_inode.empty()) return sockets;
  auto pids = host.files.list_dir("/proc");
  if (!pids) return sockets;
  for (const auto& pid : *pids) {
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    auto fds = host.files.list_dir("/proc/" + pid + "/fd");
    if (!fds) continue;  // another user's process without root, or it exited
    for (const auto& fd : *fds) {
      auto target = host.files.read_link("/proc/" + pid + "/fd/" + fd);
      if (!target || !target->starts_with("socket:[")) continue;
      uint64_t inode = 0;
      std::from_chars(target->data() + 8, target->data() + target->size(), inode);
      auto it = by_inode.find(inode);
      if (it == by_inode.end() || it->second->pid) continue;
      it->second->pid = std::stoi(pid);
      auto comm = host.files.read("/proc/" + pid + "/comm");
      it->second->process = comm ? std::string(trim(*comm)) : "";
    }
  }
  return sockets;
}

Expected<std::set<std::string>> gather_enabled_units(Host& host) {
  const std::string dir = "/etc/systemd/system";
  auto entries = host.files.list_dir(dir);
  if (!entries) return Error{entries.error()};
  std::set<std::string> enabled;
  std::set<std::string> masked;
  for (const auto& entry : *entries) {
    std::string path = dir + "/" + entry;
    if (entry.ends_with(".wants") || entry.ends_with(".requires")) {
      auto units = host.files.list_dir(path);
      if (units)
        for (const auto& unit : *units) enabled.insert(unit);
      continue;
    }
    auto link = host.files.read_link(path);
    if (link && *link == "/dev/null") masked.insert(entry);
  }
  for (const auto& unit : masked) enabled.erase(unit);
  return enabled;
}

std::string match_connection_spec(const SshdMatchBlock& block, const std::vector<GroupEntry>& groups,
                                  const std::vector<PasswdEntry>& users) {
  // A concrete value that a pattern list matches: the first positive pattern, wildcards filled.
  auto concrete = [](std::string_view list) {
    for (auto pattern : split(list, ',')) {
      if (pattern.empty() || pattern[0] == '!') continue;
      std::string value(pattern);
      std::replace(value.begin(), value.end(), '*', 'x');
      std::replace(value.begin(), value.end(), '?', 'x');
      return value;
    }
    return std::string();
  };
  std::string user, host, addr, laddr, lport, rdomain;
  for (const auto& [criterion, argument] : block.criteria_pairs) {
    if (criterion == "user") {
      // Prefer a real account that the pattern matches.
      for (auto pattern : split(argument, ',')) {
        if (pattern.empty() || pattern[0] == '!') continue;
        std::string p(pattern);
        for (const auto& u : users)
          if (::fnmatch(p.c_str(), u.name.c_str(), 0) == 0) {
            user = u.name;
            break;
          }
        if (!user.empty()) break;
      }
      if (user.empty()) user = concrete(argument);
    } else if (criterion == "group") {
      for (auto pattern : split(argument, ',')) {
        if (pattern.empty() || pattern[0] == '!' || !user.empty()) continue;
        std::string p(pattern);
        for (const auto& g : groups) {
          if (::fnmatch(p.c_str(), g.name.c_str(), 0) != 0) continue;
          if (!g.members.empty()) user = g.members.front();
          for (const auto& u : users)
            if (user.empty() && u.gid == g.gid) user = u.name;
          if (!user.empty()) break;
        }
      }
    } else if (criterion == "host") {
      host = concrete(argument);
    } else if (criterion == "address") {
      addr = concrete(argument);
      addr = addr.substr(0, addr.find('/'));
    } else if (criterion == "localaddress") {
      laddr = concrete(argument);
      laddr = laddr.substr(0, laddr.find('/'));
    } else if (criterion == "localport") {
      lport = concrete(argument);
    } else if (criterion == "rdomain") {
      rdomain = concrete(argument);
    }
  }
  if (user.empty()) {
    for (const auto& u : users)
      if (u.uid >= 1000 && u.uid < 65534 && is_login_shell(u.shell)) {
        user = u.name;
        break;
      }
    if (user.empty()) user = "root";
  }
  // 192.0.2.0/24 is TEST-NET-1: a documentation address, never a real peer.
  std::string spec = "user=" + user + ",host=" + (host.empty() ? "client.example" : host) +
                     ",addr=" + (addr.empty() ? "192.0.2.10" : addr);
  if (!laddr.empty()) spec += ",laddr=" + laddr;
  if (!lport.empty()) spec += ",lport=" + lport;
  if (!rdomain.empty()) spec += ",rdomain=" + rdomain;
  return spec;
}

Facts gather(Host& host) {
  Facts facts;
  facts.root = host.root;
  facts.live = host.live();
  const Error not_live{"not the live system"};

  if (facts.live) {
    auto name = host.files.read("/proc/sys/kernel/hostname");
    facts.hostname = name ? Expected<std::string>(std::string(trim(*name))) : Expected<std::string>(Error{name.error()});
    auto kernel = host.files.read("/proc/sys/kernel/osrelease");
    facts.kernel = kernel ? Expected<std::string>(std::string(trim(*kernel))) : Expected<std::string>(Error{kernel.error()});
  } else {
    auto name = host.files.read("/etc/hostname");
    facts.hostname = name ? Expected<std::string>(std::string(trim(*name))) : Expected<std::string>(Error{name.error()});
    facts.kernel = not_live;
  }
  facts.os = gather_os(host);
  facts.listening = gather_listening(host);
  facts.wireguard_port = wireguard_port(host);

  auto passwd = host.files.read("/etc/passwd");
  facts.passwd = passwd ? Expected<std::vector<PasswdEntry>>(parse_passwd(*passwd)) : Error{passwd.error()};
  auto shadow = host.files.read("/etc/shadow");
  facts.shadow = shadow ? Expected<std::vector<ShadowEntry>>(parse_shadow(*shadow)) : Error{shadow.error()};
  auto group = host.files.read("/etc/group");
  facts.groups = group ? Expected<std::vector<GroupEntry>>(parse_group(*group)) : Error{group.error()};

  if (!sshd_installed(host)) {
    facts.sshd = Error{"sshd is not installed (no /usr/sbin/sshd)"};
  } else {
    facts.sshd = run_sshd_T(host);
  }
  if (host.files.exists("/etc/ssh/sshd_config")) {
    ConfigSource source{[&](const std::string& path) { return host.files.read(path); },
                        [&](const std::string& pattern) { return glob_paths(host, pattern); }};
    facts.sshd_config = walk_sshd_config(source);
    if (facts.sshd.ok()) {
      static const std::vector<GroupEntry> no_groups;
      static const std::vector<PasswdEntry> no_users;
      std::set<std::pair<std::string, int>> seen;
      for (const auto& block : facts.sshd_config->matches) {
        // A block resumed after a nested Include appears again with the same file and line.
        if (!seen.emplace(block.file, block.line).second) continue;
        SshdMatchEvaluation evaluation{block, match_connection_spec(block, facts.groups ? *facts.groups : no_groups,
                                                                    facts.passwd ? *facts.passwd : no_users)};
        evaluation.effective = run_sshd_T(host, evaluation.connection_spec);
        facts.sshd_matches.push_back(std::move(evaluation));
      }
    }
  } else {
    facts.sshd_config = Error{"no /etc/ssh/sshd_config"};
  }

  facts.firewall = facts.live ? gather_firewall_live(host) : gather_firewall_tree(host);

  if (host.files.exists("/root/.ssh/authorized_keys")) {
    facts.root_authorized_keys = host.files.read("/root/.ssh/authorized_keys");
  } else if (host.files.exists("/root") && !host.files.list_dir("/root").ok()) {
    facts.root_authorized_keys = Error{"/root is not readable (run as root)"};
  } else {
    facts.root_authorized_keys = std::string();
  }

  auto status = host.files.read("/var/lib/dpkg/status");
  facts.packages = status ? Expected<std::map<std::string, DpkgPackage>>(parse_dpkg_status(*status)) : Error{status.error()};
  facts.apt_conf = gather_apt_conf(host);

  for (const auto& key : watched_sysctls()) {
    if (!facts.live) {
      facts.sysctls.emplace(key, not_live);
      continue;
    }
    std::string path = "/proc/sys/" + key;
    std::replace(path.begin() + 10, path.end(), '.', '/');
    auto value = host.files.read(path);
    facts.sysctls.emplace(key, value ? Expected<std::string>(std::string(trim(*value))) : Error{value.error()});
  }
  facts.enabled_units = gather_enabled_units(host);
  gather_forwarding_need(host, facts);
  if (facts.enabled_units) {
    for (const char* unit : {"docker.service", "containerd.service"})
      if (facts.enabled_units->count(unit)) facts.forwarding.reasons.push_back(std::string(unit) + " enabled");
  }
  facts.imds = aws::probe_imds(host);
  return facts;
}

}  // namespace dh::facts
