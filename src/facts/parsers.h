#pragma once
// Pure parsers: text in, plain struct out. None of them reads a file or runs a command; the
// gatherer (facts/gather.*) hands them the text. Each is table-tested from real outputs.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "util/expected.h"

namespace dh::facts {

// ---- /etc/os-release -------------------------------------------------------------------------
struct OsRelease {
  std::string id;                // "ubuntu", "debian"
  std::string version_id;        // "22.04", "12"
  std::string version_codename;  // "jammy", "bookworm"
  std::string pretty_name;
};
// Shell-style KEY=value lines; values may be double- or single-quoted; comments and blanks ignored.
OsRelease parse_os_release(std::string_view text);

// ---- `sshd -T` (and `sshd -T -C ...`) --------------------------------------------------------
struct SshdEffective {
  // Lower-case keyword -> every value line in order (e.g. "subsystem" -> {"sftp /usr/lib/..."}).
  std::map<std::string, std::vector<std::string>> values;
  // First value of a keyword, or nullopt.
  std::optional<std::string> get(std::string_view keyword) const;
};
// Each line is "keyword value...". Keywords are lower-cased; values kept as printed.
// An empty or keyword-less text is an error ("sshd -T printed no settings").
Expected<SshdEffective> parse_sshd_T(std::string_view text);

// ---- sshd_config and its Include'd files, in the order sshd reads them -----------------------
struct SshdSetting {
  std::string keyword;  // lower-case
  std::string value;    // rest of the line, trimmed, surrounding quotes kept as written
  std::string file;     // host-absolute path
  int line = 0;         // 1-based
};
struct SshdMatchBlock {
  std::string criteria;  // as written after "Match", e.g. "User alice Address 10.0.0.0/8"
  // Lower-case criterion -> its argument, e.g. {"user","alice"}, {"address","10.0.0.0/8"}, {"all",""}.
  std::vector<std::pair<std::string, std::string>> criteria_pairs;
  std::vector<SshdSetting> settings;
  std::string file;
  int line = 0;
};
struct SshdConfigWalk {
  std::vector<SshdSetting> settings;      // outside any Match block, in read order
  std::vector<SshdMatchBlock> matches;    // in read order
  std::vector<std::string> files_read;    // in read order (main file first)
  bool main_includes_dropin_dir = false;  // main file has an Include covering sshd_config.d
  std::vector<std::string> dropins_present;  // files in /etc/ssh/sshd_config.d/*.conf
  std::vector<std::string> problems;      // unreadable included files, Include loops, etc.
};
// How the walker reaches files without touching the system itself.
struct ConfigSource {
  std::function<Expected<std::string>(const std::string& path)> read;
  // Expand a glob (only '*' and '?' in the last component are needed) into sorted paths.
  std::function<std::vector<std::string>(const std::string& pattern)> glob;
};
// Follows sshd's rules: "Include" paths relative to /etc/ssh, globs expanded in lexical order,
// included at the point of the Include line; a Match block lasts until the next Match or the
// end of the file it started in; "keyword=value" and "keyword value" both accepted; comments.
SshdConfigWalk walk_sshd_config(const ConfigSource& source,
                                const std::string& main_path = "/etc/ssh/sshd_config");

// ---- /proc/net/{tcp,tcp6,udp,udp6} -----------------------------------------------------------
struct Socket {
  std::string proto;    // "tcp", "tcp6", "udp", "udp6" (as named by the file)
  std::string address;  // printable: "0.0.0.0", "127.0.0.1", "::", "::1", "100.101.102.103"
  uint16_t port = 0;
  uint64_t inode = 0;
};
// Only listening sockets: state 0A (LISTEN) for tcp, 07 (CLOSE, i.e. unconnected bound) for udp.
// Addresses are hex in host byte order per 32-bit word, as the kernel prints them.
std::vector<Socket> parse_proc_net(std::string_view text, std::string_view proto);

enum class AddressScope { loopback, tailnet, wildcard, other };
// loopback: 127/8, ::1, ::ffff:127.x; tailnet: 100.64.0.0/10, fd7a:115c:a1e0::/48;
// wildcard: 0.0.0.0, ::; everything else: other.
AddressScope classify_address(std::string_view address);

// ---- /etc/passwd, /etc/shadow, /etc/group ----------------------------------------------------
struct PasswdEntry {
  std::string name;
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string home;
  std::string shell;
};
std::vector<PasswdEntry> parse_passwd(std::string_view text);
// False for nologin variants, /bin/false and /bin/sync. An empty shell field means /bin/sh to
// login(1), so it is a login shell.
bool is_login_shell(std::string_view shell);

struct ShadowEntry {
  std::string name;
  std::string hash;  // "" (no password!), "*", "!", "!$6$...", "$y$..."
};
std::vector<ShadowEntry> parse_shadow(std::string_view text);

struct GroupEntry {
  std::string name;
  uint32_t gid = 0;
  std::vector<std::string> members;
};
std::vector<GroupEntry> parse_group(std::string_view text);

// ---- /var/lib/dpkg/status --------------------------------------------------------------------
struct DpkgPackage {
  std::string name;
  std::string status;  // e.g. "install ok installed", "deinstall ok config-files"
  std::string version;
  bool installed() const;  // status ends with " installed" (not config-files, not half-installed)
};
// Keyed by package name (Architecture-qualified duplicates collapse to the installed one).
std::map<std::string, DpkgPackage> parse_dpkg_status(std::string_view text);

// ---- /etc/apt/apt.conf.d/* -------------------------------------------------------------------
// APT's configuration syntax: `A::B::C "value";`, nested `A { B "v"; };` blocks, // and /* */
// comments, #clear lines ignored. Later assignments override earlier ones; the caller feeds
// files in lexical order into the same map.
void parse_apt_conf(std::string_view text, std::map<std::string, std::string>& into);
// Keys keep the spelling first seen; APT compares them case-insensitively, so look them up here.
// A bare list item inside a block ("Scope { "a"; "b"; };") is stored under "Scope::" as "a\nb".
std::optional<std::string> apt_conf_get(const std::map<std::string, std::string>& conf,
                                        std::string_view key);

// ---- firewall --------------------------------------------------------------------------------
struct UfwStatus {
  bool active = false;
  std::string default_incoming;  // "deny", "allow", "reject" (empty when inactive)
  std::string default_outgoing;
  std::string default_routed;
  std::vector<std::string> rules;  // the rule lines below the "To Action From" header
};
// `ufw status verbose` output. "Status: inactive" is a valid parse. Unrecognised text -> error.
Expected<UfwStatus> parse_ufw_status(std::string_view text);

struct IptablesRules {
  std::map<std::string, std::string> policies;  // "INPUT" -> "DROP" (filter table)
  std::vector<std::string> rules;               // "-A INPUT ..." lines
};
// `iptables -S` / `ip6tables -S` output.
IptablesRules parse_iptables_S(std::string_view text);

struct NftInputChain {
  std::string family;  // "inet", "ip", "ip6"
  std::string table;
  std::string chain;
  std::string policy;  // "drop" or "accept" (accept when not stated)
  int priority = 0;
};
// `nft list ruleset`: every base chain with "hook input".
std::vector<NftInputChain> parse_nft_input_chains(std::string_view text);

// ---- /etc/ufw/ufw.conf and /etc/default/ufw (configured, not live) ---------------------------
// Shell-style KEY=value; returns e.g. {"ENABLED":"yes"} or {"DEFAULT_INPUT_POLICY":"DROP"}.
std::map<std::string, std::string> parse_shell_vars(std::string_view text);

}  // namespace dh::facts
