#include "checks/checks.h"

#include <algorithm>
#include <charconv>
#include <map>

#include "util/strings.h"

namespace dh::checks {
namespace {

using facts::Facts;

Verdict unknown(std::string reason) { return {Status::unknown, "unknown: " + reason, reason}; }
Verdict good(std::string summary, std::string evidence) { return {Status::good, std::move(summary), std::move(evidence)}; }
Verdict info(std::string summary, std::string evidence) {
  return {Status::good, std::move(summary), std::move(evidence), true};
}
Verdict concerning(std::string summary, std::string evidence) {
  return {Status::concerning, std::move(summary), std::move(evidence)};
}

// ---- os --------------------------------------------------------------------------------------

Verdict os_release(const Facts& f) {
  if (!f.os) return unknown(f.os.error());
  const auto& os = *f.os;
  std::string kernel = f.kernel ? *f.kernel : "kernel " + f.kernel.error();
  std::string evidence = (os.pretty_name.empty() ? os.id + " " + os.version_id : os.pretty_name) + "; " +
                         (f.kernel ? "kernel " + kernel : kernel);
  bool supported = (os.id == "ubuntu" && (os.version_id == "22.04" || os.version_id == "24.04")) ||
                   (os.id == "debian" && os.version_id == "12");
  if (!supported)
    return concerning("not a supported release (Ubuntu 22.04/24.04 or Debian 12): " + os.id + " " + os.version_id,
                      evidence);
  return info("supported release: " + os.id + " " + os.version_id, evidence);
}

// ---- network ---------------------------------------------------------------------------------

Verdict net_listening(const Facts& f) {
  if (!f.listening) return unknown(f.listening.error());
  std::vector<std::string> exposed, allowed;
  for (const auto& l : *f.listening) {
    auto scope = facts::classify_address(l.socket.address);
    if (scope == facts::AddressScope::loopback || scope == facts::AddressScope::tailnet) continue;
    bool udp = l.socket.proto.starts_with("udp");
    std::string where = l.socket.proto + " " +
                        (l.socket.address.find(':') != std::string::npos ? "[" + l.socket.address + "]" : l.socket.address) +
                        ":" + std::to_string(l.socket.port) + " (" +
                        (l.process.empty() ? std::string("process unknown") : l.process +
                                                                                   (l.pid ? "/" + std::to_string(l.pid) : "")) +
                        ")";
    // sshd and tailscaled's WireGuard port are judged by firewall.status and the security group.
    // Ubuntu 24.04 socket-activates ssh: systemd itself holds port 22.
    bool is_sshd = !udp && (l.process == "sshd" || (l.process == "systemd" && l.socket.port == 22));
    bool is_wireguard = udp && l.socket.port == f.wireguard_port &&
                        (l.process == "tailscaled" || l.process.empty());
    // DHCP clients bind 0.0.0.0:68 / [::]:546 to receive leases; they are not services.
    bool is_dhcp_client = udp && (l.socket.port == 68 || l.socket.port == 546);
    if (is_sshd || is_wireguard || is_dhcp_client) {
      allowed.push_back(where);
      continue;
    }
    if (std::find(exposed.begin(), exposed.end(), where) == exposed.end()) exposed.push_back(where);
  }
  if (!exposed.empty())
    return concerning(std::to_string(exposed.size()) + " socket(s) listen beyond loopback and the tailnet",
                      join(exposed, ", "));
  return good("nothing but sshd, WireGuard and DHCP listens beyond loopback and the tailnet",
              allowed.empty() ? "no public listeners" : "expected: " + join(allowed, ", "));
}

Verdict firewall_status(const Facts& f) {
  if (!f.firewall) return unknown(f.firewall.error());
  if (f.firewall->default_deny_incoming)
    return good("host firewall denies incoming by default (" + f.firewall->source + ")", f.firewall->evidence);
  return concerning("no host firewall with default-deny for incoming traffic", f.firewall->evidence);
}

// ---- ssh -------------------------------------------------------------------------------------

Verdict ssh_value(const Facts& f, std::string_view key, const std::function<Verdict(const std::string&)>& judge) {
  if (!f.sshd) return unknown(f.sshd.error());
  auto value = f.sshd->get(key);
  if (!value) return unknown(std::string("sshd -T printed no ") + std::string(key));
  Verdict v = judge(*value);
  if (v.evidence.empty()) v.evidence = "sshd -T: " + std::string(key) + " " + *value;
  return v;
}

Verdict ssh_permit_root_login(const Facts& f) {
  return ssh_value(f, "permitrootlogin", [](const std::string& v) {
    return v == "no" ? good("root cannot log in over SSH", "")
                     : concerning("root may log in over SSH (PermitRootLogin " + v + ")", "");
  });
}

Verdict ssh_password_authentication(const Facts& f) {
  return ssh_value(f, "passwordauthentication", [](const std::string& v) {
    return v == "yes" ? concerning("password authentication is enabled", "")
                      : good("password authentication is disabled", "");
  });
}

Verdict ssh_kbd_interactive(const Facts& f) {
  return ssh_value(f, "kbdinteractiveauthentication", [](const std::string& v) {
    return v == "yes" ? concerning("keyboard-interactive authentication is enabled", "")
                      : good("keyboard-interactive authentication is disabled", "");
  });
}

Verdict ssh_x11_forwarding(const Facts& f) {
  return ssh_value(f, "x11forwarding", [](const std::string& v) {
    return v == "yes" ? concerning("X11 forwarding is enabled", "") : good("X11 forwarding is disabled", "");
  });
}

Verdict ssh_max_auth_tries(const Facts& f) {
  return ssh_value(f, "maxauthtries", [](const std::string& v) {
    int tries = 0;
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), tries);
    if (ec != std::errc()) return unknown("MaxAuthTries is not a number: " + v);
    return tries > 3 ? concerning("MaxAuthTries " + v + " allows more than 3 attempts per connection", "")
                     : good("MaxAuthTries " + v, "");
  });
}

Verdict ssh_client_alive(const Facts& f) {
  if (!f.sshd) return unknown(f.sshd.error());
  auto interval = f.sshd->get("clientaliveinterval").value_or("?");
  auto count = f.sshd->get("clientalivecountmax").value_or("?");
  std::string evidence = "sshd -T: clientaliveinterval " + interval + ", clientalivecountmax " + count;
  if (interval == "0") return concerning("dead SSH sessions are never timed out (ClientAliveInterval 0)", evidence);
  if (interval == "?") return unknown("sshd -T printed no clientaliveinterval");
  return good("dead sessions time out after " + interval + "s x " + count, evidence);
}

Verdict ssh_sftp_subsystem(const Facts& f) {
  if (!f.sshd) return unknown(f.sshd.error());
  auto it = f.sshd->values.find("subsystem");
  std::vector<std::string> subsystems;
  if (it != f.sshd->values.end()) subsystems = it->second;
  for (const auto& s : subsystems)
    if (s.starts_with("sftp")) return info("SFTP subsystem: " + s.substr(s.find_first_not_of(" \t", 4)), "sshd -T: subsystem " + s);
  return info("no SFTP subsystem (scp, rsync and VS Code Remote that need SFTP will fail)", "sshd -T: no subsystem sftp");
}

// How much root login a PermitRootLogin value allows, from none to passwords.
int root_login_rank(const std::string& value) {
  if (value == "no") return 0;
  if (value == "forced-commands-only") return 1;
  if (value == "prohibit-password" || value == "without-password") return 2;
  return 3;
}

Verdict ssh_match_overrides(const Facts& f) {
  if (!f.sshd_config) return unknown(f.sshd_config.error());
  if (f.sshd_config->matches.empty()) return good("no Match blocks", "no Match block in " + join(f.sshd_config->files_read, ", "));
  if (!f.sshd) return unknown(f.sshd.error() + " (Match blocks cannot be evaluated)");
  static const std::vector<std::string> risky = {"permitrootlogin", "passwordauthentication",
                                                 "kbdinteractiveauthentication"};
  std::vector<std::string> overrides, unknowns;
  for (const auto& m : f.sshd_matches) {
    std::string where = m.block.file + ":" + std::to_string(m.block.line) + " Match " + m.block.criteria;
    if (!m.effective) {
      unknowns.push_back(where + " (" + m.effective.error() + ")");
      continue;
    }
    for (const auto& key : risky) {
      auto base = f.sshd->get(key).value_or("");
      auto inside = m.effective->get(key).value_or("");
      bool loosened = key == "permitrootlogin" ? root_login_rank(inside) > root_login_rank(base)
                                               : (inside == "yes" && base != "yes");
      if (loosened) overrides.push_back(where + " sets " + key + " " + inside);
    }
  }
  if (!overrides.empty())
    return concerning("a Match block re-enables " + std::string(overrides.size() == 1 ? "a risky login" : "risky logins"),
                      join(overrides, "; "));
  if (!unknowns.empty()) return unknown("could not evaluate " + join(unknowns, "; "));
  return good(std::to_string(f.sshd_matches.size()) + " Match block(s), none re-enables root, password or keyboard-interactive login",
              "evaluated with sshd -T -C " + f.sshd_matches.front().connection_spec +
                  (f.sshd_matches.size() > 1 ? " and others" : ""));
}

constexpr const char* kMainConfig = "/etc/ssh/sshd_config";

Verdict ssh_dropin_order(const Facts& f) {
  if (!f.sshd_config) return unknown(f.sshd_config.error());
  const auto& walk = *f.sshd_config;
  std::vector<std::string> problems;
  if (!walk.main_includes_dropin_dir && !walk.dropins_present.empty())
    problems.push_back("/etc/ssh/sshd_config has no Include of sshd_config.d, so " + join(walk.dropins_present, ", ") +
                       " are ignored");
  // sshd keeps the first value it reads; a later file's different value is silently ignored.
  // Keywords that may legitimately repeat (they accumulate) are not conflicts.
  static const std::vector<std::string> multi = {"hostkey", "listenaddress", "port", "subsystem", "acceptenv",
                                                 "setenv", "hostcertificate", "include", "allowusers", "denyusers",
                                                 "allowgroups", "denygroups"};
  std::map<std::string, const facts::SshdSetting*> first;
  for (const auto& s : walk.settings) {
    if (std::find(multi.begin(), multi.end(), s.keyword) != multi.end()) continue;
    auto [it, inserted] = first.emplace(s.keyword, &s);
    if (inserted) continue;
    const auto* winner = it->second;
    // Only a drop-in losing counts: the main file's own lines after its Include at the top are
    // meant to be overridden by the drop-ins.
    if (winner->file != s.file && s.file != kMainConfig && !iequals(winner->value, s.value))
      problems.push_back(s.file + ":" + std::to_string(s.line) + " sets " + s.keyword + " " + s.value + " but " +
                         winner->file + ":" + std::to_string(winner->line) + " already set " + winner->value +
                         " (sshd keeps the first)");
  }
  if (!problems.empty()) return concerning("a setting in a later file is silently ignored", join(problems, "; "));
  return good("no conflicting settings across " + std::to_string(walk.files_read.size()) + " file(s)",
              "read in order: " + join(walk.files_read, ", "));
}

// ---- accounts --------------------------------------------------------------------------------

Verdict users_login_shells(const Facts& f) {
  if (!f.passwd) return unknown(f.passwd.error());
  std::map<std::string, std::string> hashes;
  if (f.shadow)
    for (const auto& s : *f.shadow) hashes[s.name] = s.hash;
  std::vector<std::string> problems, accounts;
  for (const auto& u : *f.passwd) {
    if (u.uid == 0 && u.name != "root") problems.push_back(u.name + " has UID 0");
    if (!facts::is_login_shell(u.shell)) continue;
    accounts.push_back(u.name + " (" + (u.shell.empty() ? "/bin/sh" : u.shell) + ")");
    auto it = hashes.find(u.name);
    if (f.shadow && it != hashes.end() && it->second.empty())
      problems.push_back(u.name + " has a login shell and an empty password");
  }
  if (!problems.empty()) return concerning(join(problems, "; "), "login shells: " + join(accounts, ", "));
  std::string evidence = "login shells: " + join(accounts, ", ");
  if (!f.shadow) evidence += " (empty passwords not checked: " + f.shadow.error() + ")";
  return info(std::to_string(accounts.size()) + " account(s) with a login shell, none with UID 0 besides root", evidence);
}

Verdict root_authorized_keys(const Facts& f) {
  if (!f.root_authorized_keys) return unknown(f.root_authorized_keys.error());
  int keys = 0;
  std::string first;
  for (auto line : split_lines(*f.root_authorized_keys)) {
    auto t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    if (!keys) first = std::string(t.substr(0, 40));
    ++keys;
  }
  if (keys) return concerning("root has " + std::to_string(keys) + " authorized SSH key(s)",
                              "/root/.ssh/authorized_keys: " + first + (first.size() == 40 ? "..." : ""));
  return good("root has no authorized SSH keys", "/root/.ssh/authorized_keys absent or empty");
}

// ---- packages and updates --------------------------------------------------------------------

Verdict packages_security_tools(const Facts& f) {
  if (!f.packages) return unknown(f.packages.error());
  auto has = [&](const char* name) {
    auto it = f.packages->find(name);
    return it != f.packages->end() && it->second.installed();
  };
  std::vector<std::string> present, missing, optional_missing;
  for (const char* name : {"fail2ban", "unattended-upgrades"}) (has(name) ? present : missing).push_back(name);
  for (const char* name : {"apparmor", "auditd"}) (has(name) ? present : optional_missing).push_back(name);
  std::string evidence = "installed: " + (present.empty() ? std::string("none") : join(present, ", ")) +
                         (optional_missing.empty() ? "" : "; not installed: " + join(optional_missing, ", "));
  if (!missing.empty()) {
    Verdict v = concerning("missing: " + join(missing, ", "), evidence);
    v.remedy_step = std::find(missing.begin(), missing.end(), "fail2ban") != missing.end() ? 5 : 7;
    return v;
  }
  return good("fail2ban and unattended-upgrades are installed", evidence);
}

Verdict updates_unattended(const Facts& f) {
  if (!f.apt_conf) return unknown(f.apt_conf.error());
  std::vector<std::string> off, shown;
  for (const char* key : {"APT::Periodic::Update-Package-Lists", "APT::Periodic::Unattended-Upgrade"}) {
    std::string value = facts::apt_conf_get(*f.apt_conf, key).value_or("");
    shown.push_back(std::string(key) + "=" + (value.empty() ? "(unset)" : "\"" + value + "\""));
    if (value != "1") off.push_back(key);
  }
  if (!off.empty()) return concerning("automatic security updates are not on", join(shown, ", "));
  return good("automatic security updates are on", join(shown, ", "));
}

// ---- kernel ----------------------------------------------------------------------------------

std::vector<std::pair<std::string, std::string>> sysctl_values(const Facts& f, const std::vector<std::string>& keys,
                                                               std::string& error) {
  std::vector<std::pair<std::string, std::string>> values;
  for (const auto& key : keys) {
    auto it = f.sysctls.find(key);
    if (it == f.sysctls.end() || !it->second) {
      // IPv6 keys vanish on a kernel booted with ipv6.disable=1; that is not a failure.
      if (key.starts_with("net.ipv6") && it != f.sysctls.end() && f.live) continue;
      error = it == f.sysctls.end() ? key + " not gathered" : it->second.error();
      return {};
    }
    values.emplace_back(key, *it->second);
  }
  return values;
}

Verdict sysctl_all_zero(const Facts& f, const std::vector<std::string>& keys, const std::string& what) {
  std::string error;
  auto values = sysctl_values(f, keys, error);
  if (!error.empty()) return unknown(error);
  std::vector<std::string> on, shown;
  for (const auto& [key, value] : values) {
    shown.push_back(key + "=" + value);
    if (value != "0") on.push_back(key);
  }
  if (!on.empty()) return concerning(what + " is on: " + join(on, ", "), join(shown, " "));
  return good(what + " is off", join(shown, " "));
}

Verdict sysctl_ip_forward(const Facts& f) {
  std::string error;
  auto values = sysctl_values(f, {"net.ipv4.ip_forward"}, error);
  if (!error.empty()) return unknown(error);
  const auto& value = values.front().second;
  std::string needed = f.forwarding.reasons.empty() ? "" : join(f.forwarding.reasons, ", ");
  std::string evidence = "net.ipv4.ip_forward=" + value + (needed.empty() ? "" : "; needed by " + needed);
  if (value == "0") return good("IP forwarding is off", evidence);
  if (!needed.empty()) return good("IP forwarding is on and needed (" + needed + ")", evidence);
  return concerning("IP forwarding is on and nothing here needs it", evidence);
}

Verdict sysctl_accept_redirects(const Facts& f) {
  return sysctl_all_zero(f,
                         {"net.ipv4.conf.all.accept_redirects", "net.ipv4.conf.default.accept_redirects",
                          "net.ipv6.conf.all.accept_redirects", "net.ipv6.conf.default.accept_redirects"},
                         "accepting ICMP redirects");
}

Verdict sysctl_accept_source_route(const Facts& f) {
  return sysctl_all_zero(f, {"net.ipv4.conf.all.accept_source_route", "net.ipv4.conf.default.accept_source_route"},
                         "accepting source-routed packets");
}

Verdict sysctl_send_redirects(const Facts& f) {
  return sysctl_all_zero(f, {"net.ipv4.conf.all.send_redirects", "net.ipv4.conf.default.send_redirects"},
                         "sending ICMP redirects");
}

// ---- services and IMDS -----------------------------------------------------------------------

Verdict services_enabled(const Facts& f) {
  if (!f.enabled_units) return unknown(f.enabled_units.error());
  std::vector<std::string> unwanted, services;
  for (const auto& unit : *f.enabled_units) {
    if (unit.ends_with(".service")) services.push_back(unit.substr(0, unit.size() - 8));
    for (const char* name : {"ModemManager", "open-iscsi", "iscsid", "multipathd", "open-vm-tools"})
      if (unit == std::string(name) + ".service" || unit == std::string(name) + ".socket") unwanted.push_back(unit);
  }
  if (!unwanted.empty())
    return concerning("unneeded services are enabled: " + join(unwanted, ", "), "enabled: " + join(services, ", "));
  return info(std::to_string(services.size()) + " enabled service(s), none of the unneeded ones",
              "enabled: " + join(services, ", "));
}

Verdict imds_tokens(const Facts& f) {
  if (!f.imds) return unknown(f.imds.error());
  const auto& p = *f.imds;
  std::string evidence = p.endpoint + ": tokenless GET answered HTTP " + std::to_string(p.v1_status) +
                         (p.v2_works ? ", IMDSv2 token flow works" : ", IMDSv2 token flow failed") +
                         (p.instance_id.empty() ? "" : ", instance " + p.instance_id);
  if (p.v1_answers) return concerning("IMDSv1 answers without a token", evidence);
  if (p.v1_status == 401) return good("IMDS requires a token (IMDSv2 only)", evidence);
  return unknown("tokenless IMDS request answered HTTP " + std::to_string(p.v1_status));
}

constexpr CheckDef kChecks[] = {
    {"os.release", Severity::medium, 1, os_release},
    {"net.listening", Severity::medium, 4, net_listening},
    {"firewall.status", Severity::high, 4, firewall_status},
    {"ssh.permit_root_login", Severity::high, 5, ssh_permit_root_login},
    {"ssh.password_authentication", Severity::high, 5, ssh_password_authentication},
    {"ssh.kbd_interactive_authentication", Severity::high, 5, ssh_kbd_interactive},
    {"ssh.x11_forwarding", Severity::low, 5, ssh_x11_forwarding},
    {"ssh.max_auth_tries", Severity::low, 5, ssh_max_auth_tries},
    {"ssh.client_alive", Severity::low, 5, ssh_client_alive},
    {"ssh.sftp_subsystem", Severity::info, 5, ssh_sftp_subsystem},
    {"ssh.match_overrides", Severity::high, 5, ssh_match_overrides},
    {"ssh.dropin_order", Severity::medium, 5, ssh_dropin_order},
    {"users.login_shells", Severity::high, 8, users_login_shells},
    {"root.authorized_keys", Severity::medium, 5, root_authorized_keys},
    {"packages.security_tools", Severity::medium, 5, packages_security_tools},
    {"updates.unattended", Severity::medium, 7, updates_unattended},
    {"sysctl.ip_forward", Severity::low, 7, sysctl_ip_forward},
    {"sysctl.accept_redirects", Severity::medium, 7, sysctl_accept_redirects},
    {"sysctl.accept_source_route", Severity::medium, 7, sysctl_accept_source_route},
    {"sysctl.send_redirects", Severity::low, 7, sysctl_send_redirects},
    {"services.enabled", Severity::low, 7, services_enabled},
    {"imds.tokens", Severity::high, 7, imds_tokens},
};

}  // namespace

std::string_view to_string(Status status) {
  switch (status) {
    case Status::good: return "good";
    case Status::concerning: return "concerning";
    case Status::unknown: return "unknown";
  }
  return "unknown";
}

std::string_view to_string(Severity severity) {
  switch (severity) {
    case Severity::high: return "high";
    case Severity::medium: return "medium";
    case Severity::low: return "low";
    case Severity::info: return "info";
  }
  return "info";
}

std::span<const CheckDef> check_table() { return kChecks; }

std::vector<Finding> run_checks(const facts::Facts& facts) {
  std::vector<Finding> findings;
  for (const auto& check : check_table()) {
    Verdict v = check.run(facts);
    Finding finding;
    finding.id = std::string(check.id);
    finding.status = v.status;
    finding.severity = v.informational ? Severity::info : check.severity;
    finding.summary = std::move(v.summary);
    finding.evidence = std::move(v.evidence);
    finding.remedy_step = v.remedy_step ? v.remedy_step : check.remedy_step;
    findings.push_back(std::move(finding));
  }
  return findings;
}

void sort_for_report(std::vector<Finding>& findings) {
  auto rank = [](const Finding& f) {
    int group = f.status == Status::concerning ? 0 : f.status == Status::unknown ? 1 : 2;
    return group * 10 + static_cast<int>(f.severity);
  };
  std::stable_sort(findings.begin(), findings.end(),
                   [&](const Finding& a, const Finding& b) { return rank(a) < rank(b); });
}

}  // namespace dh::checks
