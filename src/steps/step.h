#pragma once
// One unit per runbook step: the changes it would make (as engine::Change data), its lockout
// pre-flight, the validation and activation after writing, the verification of the effective
// state, and its gate. The engine walks them in order; nothing here writes directly.
#include <chrono>
#include <nlohmann/json.hpp>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/change.h"
#include "host/host.h"

namespace dh::steps {

enum class GateKind { none, ssm, tailscale, new_ssh };
std::string_view to_string(GateKind kind);
std::optional<GateKind> gate_kind_from(std::string_view text);

struct Options {
  std::string sftp = "keep";  // "yes", "no", "keep" (leave the Subsystem lines as configured)
  std::string login_user;     // the account that must keep key access; default SUDO_USER
  // Step 3: `tailscale up --ssh`, an auth key for unattended use (else TS_AUTHKEY), and how long
  // to wait for a browser login.
  bool tailscale_ssh = false;
  std::string tailscale_authkey;
  std::chrono::seconds tailscale_login_wait{600};
  // The journal so far (set by the engine), for pre-flight checks that depend on earlier gates.
  std::vector<nlohmann::json> journal;
};

struct StepPlan {
  std::vector<std::unique_ptr<engine::Change>> changes;
  std::vector<std::string> notes;  // shown in plan and harden
};

class Step {
 public:
  virtual ~Step() = default;
  virtual int number() const = 0;
  virtual std::string_view name() const = 0;  // as in the runbook's table
  virtual std::string_view slug() const = 0;  // accepted on the command line: "ssh"
  virtual GateKind gate() const = 0;
  // The change can cut access: it is armed with the dead-man timer.
  virtual bool deadman() const = 0;
  virtual bool implemented() const { return true; }
  virtual Expected<StepPlan> plan(host::Host& host, const Options& options) = 0;
  // Refuses a restrictive change that could lock the user out; the error is the reason.
  virtual Status preflight(host::Host&, const Options&) { return ok_status(); }
  // After the files are written, before anything is reloaded (e.g. `sshd -t`).
  virtual Status validate(host::Host&) { return ok_status(); }
  // Makes running services use the change; through the applier so it is journaled.
  virtual Status activate(host::Host&, engine::Applier&) { return ok_status(); }
  // Re-reads the effective state after activation.
  virtual Status verify(host::Host&, const Options&) { return ok_status(); }
  // After a rollback restored this step's files: make services re-read them.
  virtual void after_rollback(host::Host&, std::ostream&) {}
};

// Steps 1..9 in runbook order.
const std::vector<std::unique_ptr<Step>>& registry();
Step* find_step(int number);
// "5" or a slug ("ssh"); error names the valid choices.
Expected<int> parse_step(std::string_view text);

// Step 5's pieces, exported for tests.
inline constexpr const char* kSshDropIn = "/etc/ssh/sshd_config.d/00-devbox-harden.conf";
// A line in authorized_keys that sshd would accept as a key (options before it allowed).
bool is_valid_authorized_key_line(std::string_view line);
// Does `user` (from /etc/passwd) have at least one valid key in ~/.ssh/authorized_keys{,2}?
Expected<std::string> user_key_evidence(host::Host& host, const std::string& user);
// Whether sshd is managed by systemd here and how to make it re-read its configuration.
std::vector<std::string> sshd_reload_argv(host::Host& host, std::string& why_not);

}  // namespace dh::steps
