#pragma once
// Reads the host once and hands each piece of text to its parser. Every fact is an Expected:
// a missing file or tool becomes the reason a check says "unknown", never an abort.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "aws/imds.h"
#include "facts/parsers.h"
#include "host/host.h"

namespace dh::facts {

struct ListeningSocket {
  Socket socket;
  int pid = 0;          // 0 when no process holding it was found
  std::string process;  // /proc/PID/comm, "" when unknown
};

struct SshdMatchEvaluation {
  SshdMatchBlock block;
  std::string connection_spec;  // what was passed to sshd -T -C
  Expected<SshdEffective> effective = Error{"not evaluated"};
};

struct FirewallState {
  std::string source;  // "ufw", "nftables", "iptables", "ufw configuration"
  bool default_deny_incoming = false;
  std::string evidence;  // one line
};

struct ForwardingNeed {
  std::vector<std::string> reasons;  // "docker.io installed", "tailscale advertises routes"
};

struct Facts {
  std::string root = "/";
  bool live = true;
  Expected<std::string> hostname = Error{"not gathered"};
  Expected<OsRelease> os = Error{"not gathered"};
  Expected<std::string> kernel = Error{"not gathered"};
  Expected<std::vector<ListeningSocket>> listening = Error{"not gathered"};
  uint16_t wireguard_port = 41641;
  Expected<SshdEffective> sshd = Error{"not gathered"};
  Expected<SshdConfigWalk> sshd_config = Error{"not gathered"};
  std::vector<SshdMatchEvaluation> sshd_matches;
  Expected<FirewallState> firewall = Error{"not gathered"};
  Expected<std::vector<PasswdEntry>> passwd = Error{"not gathered"};
  Expected<std::vector<ShadowEntry>> shadow = Error{"not gathered"};
  Expected<std::vector<GroupEntry>> groups = Error{"not gathered"};
  Expected<std::string> root_authorized_keys = Error{"not gathered"};  // "" when the file is absent
  Expected<std::map<std::string, DpkgPackage>> packages = Error{"not gathered"};
  Expected<std::map<std::string, std::string>> apt_conf = Error{"not gathered"};
  std::map<std::string, Expected<std::string>> sysctls;  // "net.ipv4.ip_forward" -> "1"
  Expected<std::set<std::string>> enabled_units = Error{"not gathered"};
  ForwardingNeed forwarding;
  Expected<aws::ImdsProbe> imds = Error{"not gathered"};
};

// The sysctls the checks read, in the order they are reported.
const std::vector<std::string>& watched_sysctls();

Facts gather(host::Host& host);

// Pieces of gather, exported for tests.
Expected<std::vector<ListeningSocket>> gather_listening(host::Host& host);
Expected<std::set<std::string>> gather_enabled_units(host::Host& host);
// A connection spec for `sshd -T -C` that makes the block's criteria match.
std::string match_connection_spec(const SshdMatchBlock& block, const std::vector<GroupEntry>& groups,
                                  const std::vector<PasswdEntry>& users);
uint16_t parse_tailscaled_port(std::string_view defaults_file_text);
// tailscaled's WireGuard port on this host: PORT= in /etc/default/tailscaled, else 41641.
uint16_t wireguard_port(host::Host& host);
// Paths matching a glob whose wildcards are in the last component, sorted (as sshd's Include).
std::vector<std::string> glob_paths(host::Host& host, const std::string& pattern);

}  // namespace dh::facts
