#pragma once
// Gate proofs for `confirm`: a gate is finished only by evidence that the NEW access path works,
// taken from the process tree above `confirm` and the kernel's socket table, never from what the
// user types (nor only from SSH_CONNECTION, which sudo drops by default).
#include <cstdint>
#include <string>
#include <vector>

#include "facts/proc_conn.h"
#include "host/host.h"
#include "steps/step.h"

namespace dh::engine {

struct ProcessNode {
  int pid = 0;
  int ppid = 0;
  std::string comm;
  std::string argv0;     // first word of /proc/PID/cmdline
  std::string cmdline;   // whole command line, NULs as spaces
  int64_t started = 0;   // seconds since the epoch
  std::vector<uint64_t> socket_inodes;
};

// The ancestors of the current process (itself first) and every established TCP connection.
struct ConnectionView {
  std::vector<ProcessNode> ancestors;
  std::vector<facts::TcpConnection> established;
};
Expected<ConnectionView> read_connection_view(host::Processes& processes);

struct SshSession {
  int pid = 0;  // the sshd process holding the connection
  facts::TcpConnection connection;
  int64_t started = 0;
};
// The nearest sshd ancestor ("sshd", "sshd-session") holding an established TCP socket.
std::optional<SshSession> find_ssh_session(const ConnectionView& view);
// An ancestor is the Session Manager worker (ssm-session-worker).
bool in_ssm_session(const ConnectionView& view);

struct Proof {
  bool ok = false;
  std::string detail;  // the evidence, or why it is not enough
};
// gate_opened: when the gate was opened; the connection must be newer (an old session survives
// firewall and sshd changes, so it proves nothing). tailscale_addresses: the box's own.
Proof judge_gate(steps::GateKind kind, const ConnectionView& view, int64_t gate_opened,
                 const std::vector<std::string>& tailscale_addresses);

// The box's Tailscale addresses: `tailscale ip`, else the addresses of interface tailscale0.
std::vector<std::string> tailscale_addresses(host::Host& host);

}  // namespace dh::engine
