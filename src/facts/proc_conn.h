#pragma once
// Established TCP connections and process status from /proc, for finding the SSH connection a
// command runs in (the gate proof of `devbox-harden confirm`). Pure parsers: text in, structs out.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dh::facts {

struct TcpConnection {
  std::string local;   // printable address; IPv4-mapped IPv6 addresses are shown as IPv4
  uint16_t local_port = 0;
  std::string remote;
  uint16_t remote_port = 0;
  uint64_t inode = 0;
};
// /proc/net/tcp or /proc/net/tcp6: only ESTABLISHED rows (state 01).
std::vector<TcpConnection> parse_proc_net_established(std::string_view text);

struct ProcStat {
  int pid = 0;
  std::string comm;  // between the parentheses (may contain spaces and parentheses)
  char state = '?';
  int ppid = 0;
  uint64_t start_ticks = 0;  // field 22: clock ticks after boot
};
// /proc/PID/stat.
std::optional<ProcStat> parse_proc_stat(std::string_view text);

// "btime N" from /proc/stat: boot time in seconds since the epoch.
std::optional<int64_t> parse_boot_time(std::string_view proc_stat_text);

// "socket:[12345]" -> 12345.
std::optional<uint64_t> parse_socket_link(std::string_view link);

}  // namespace dh::facts
