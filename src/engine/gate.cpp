#include "engine/gate.h"

#include <nlohmann/json.hpp>

#include "engine/journal.h"
#include "facts/parsers.h"
#include "util/strings.h"

namespace dh::engine {
namespace {
constexpr int64_t kTicksPerSecond = 100;  // USER_HZ, fixed by the kernel ABI
constexpr int64_t kStartSlackSeconds = 2;

std::string base_name(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}
}  // namespace

Expected<ConnectionView> read_connection_view(host::Processes& processes) {
  ConnectionView view;
  auto boot_text = processes.read_proc("stat");
  std::optional<int64_t> boot = boot_text ? facts::parse_boot_time(*boot_text) : std::nullopt;
  if (!boot) return Error{"cannot read the boot time from /proc/stat"};
  int pid = processes.self_pid();
  for (int depth = 0; pid > 0 && depth < 64; ++depth) {
    auto stat_text = processes.read_proc(std::to_string(pid) + "/stat");
    if (!stat_text) return Error{"cannot read the process tree: " + stat_text.error()};
    auto st = facts::parse_proc_stat(*stat_text);
    if (!st) return Error{"cannot parse /proc/" + std::to_string(pid) + "/stat"};
    ProcessNode node;
    node.pid = pid;
    node.ppid = st->ppid;
    node.comm = st->comm;
    node.started = *boot + static_cast<int64_t>(st->start_ticks) / kTicksPerSecond;
    if (auto cmd = processes.read_proc(std::to_string(pid) + "/cmdline"); cmd) {
      node.argv0 = cmd->substr(0, cmd->find('\0'));
      node.cmdline = *cmd;
      for (auto& c : node.cmdline)
        if (c == '\0') c = ' ';
      node.cmdline = std::string(trim(node.cmdline));
    }
    if (auto fds = processes.list_proc(std::to_string(pid) + "/fd"); fds)
      for (const auto& fd : *fds)
        if (auto link = processes.read_proc_link(std::to_string(pid) + "/fd/" + fd); link)
          if (auto inode = facts::parse_socket_link(*link)) node.socket_inodes.push_back(*inode);
    view.ancestors.push_back(std::move(node));
    if (pid == 1) break;
    pid = st->ppid;
  }
  for (const char* table : {"net/tcp", "net/tcp6"})
    if (auto text = processes.read_proc(table); text)
      for (auto& c : facts::parse_proc_net_established(*text)) view.established.push_back(std::move(c));
  return view;
}

std::optional<SshSession> find_ssh_session(const ConnectionView& view) {
  for (const auto& p : view.ancestors) {
    bool sshd = p.comm == "sshd" || p.comm == "sshd-session" || base_name(p.argv0) == "sshd" ||
                base_name(p.argv0) == "sshd-session" || p.cmdline.starts_with("sshd:");
    if (!sshd) continue;
    for (auto inode : p.socket_inodes)
      for (const auto& c : view.established)
        if (c.inode == inode && inode != 0) return SshSession{p.pid, c, p.started};
  }
  return std::nullopt;
}

bool in_ssm_session(const ConnectionView& view) {
  for (const auto& p : view.ancestors)
    if (base_name(p.argv0) == "ssm-session-worker" || p.comm == "ssm-session-wor" || p.comm == "ssm-session-worker")
      return true;
  return false;
}

Proof judge_gate(steps::GateKind kind, const ConnectionView& view, int64_t gate_opened,
                 const std::vector<std::string>& tailscale_addresses) {
  using steps::GateKind;
  if (kind == GateKind::none) return {true, "no gate"};
  if (kind == GateKind::ssm) {
    if (in_ssm_session(view)) return {true, "running inside an SSM Session Manager session (ssm-session-worker)"};
    return {false, "this is not a Session Manager session: no ssm-session-worker above this command. From your "
                   "laptop run `aws ssm start-session --target INSTANCE_ID`, then `sudo devbox-harden confirm` there"};
  }
  auto session = find_ssh_session(view);
  if (!session)
    return {false, "this command does not run in an SSH session (no sshd process with a TCP connection above it)"};
  const auto& c = session->connection;
  std::string where = "SSH connection from " + c.remote + ":" + std::to_string(c.remote_port) + " to " + c.local +
                      ":" + std::to_string(c.local_port) + " (sshd pid " + std::to_string(session->pid) +
                      ", started " + format_time(session->started) + ")";
  // Process start times from /proc are only good to about a second (btime is whole seconds and
  // the gate time is truncated): allow that much, an old session is minutes older anyway.
  if (session->started + kStartSlackSeconds < gate_opened)
    return {false, where + " is older than the change: an old session survives the change and proves nothing; "
                   "open a NEW connection"};
  if (kind == GateKind::new_ssh) return {true, "new " + where};
  // Tailscale: from the tailnet, to this box's own Tailscale address.
  if (facts::classify_address(c.remote) != facts::AddressScope::tailnet)
    return {false, where + ": the client is not in the tailnet (100.64.0.0/10 or fd7a:115c:a1e0::/48); connect to "
                           "the box's Tailscale address"};
  bool to_tailscale = false;
  for (const auto& a : tailscale_addresses)
    if (a == c.local) to_tailscale = true;
  if (!to_tailscale)
    return {false, where + ": the server address is not this box's Tailscale address (" +
                       (tailscale_addresses.empty() ? std::string("none found: is tailscale up?")
                                                    : join(tailscale_addresses, ", ")) + ")"};
  return {true, "tailnet " + where};
}

std::vector<std::string> tailscale_addresses(host::Host& host) {
  std::vector<std::string> out;
  host::RunOptions options;
  options.in_root = false;
  auto r = host.commands.run({"tailscale", "ip"}, options);
  if (r && r->exit_code == 0)
    for (auto line : split_lines(r->out))
      if (!trim(line).empty()) out.emplace_back(trim(line));
  if (!out.empty()) return out;
  auto ip = host.commands.run({"ip", "-j", "addr", "show", "dev", "tailscale0"}, options);
  if (!ip || ip->exit_code != 0) return out;
  auto parsed = nlohmann::json::parse(ip->out, nullptr, false);
  if (!parsed.is_array()) return out;
  for (const auto& link : parsed)
    if (link.contains("addr_info"))
      for (const auto& a : link["addr_info"])
        if (a.contains("local") && a["local"].is_string()) out.push_back(a["local"].get<std::string>());
  return out;
}

}  // namespace dh::engine
