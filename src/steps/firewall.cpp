// Runbook step 4: ufw, default deny incoming, allow in on tailscale0 and the WireGuard port.
#include <algorithm>

#include "facts/gather.h"
#include "facts/parsers.h"
#include "steps/preflight.h"
#include "steps/probed_change.h"
#include "steps/step.h"
#include "steps/steps_internal.h"
#include "util/strings.h"

namespace dh::steps {
namespace {

constexpr const char* kUfw = "/usr/sbin/ufw";
constexpr const char* kUfwDefaults = "/etc/default/ufw";

Expected<std::string> run_out(host::Host& host, const std::vector<std::string>& argv) {
  auto r = host.commands.run(argv, {});
  if (!r) return Error{r.error()};
  if (r->exit_code != 0)
    return Error{engine::argv_text(argv) + " failed: " + std::string(trim(r->err.empty() ? r->out : r->err))};
  return r->out;
}

// The policy ufw writes for `ufw default X DIRECTION`, as in /etc/default/ufw.
Expected<std::string> configured_policy(host::Host& host, const std::string& key) {
  auto text = host.files.read(kUfwDefaults);
  if (!text) return Error{text.error()};
  return facts::parse_shell_vars(*text)[key];
}

std::string policy_word(const std::string& iptables_policy) {
  if (iptables_policy == "DROP") return "deny";
  if (iptables_policy == "REJECT") return "reject";
  return "allow";
}

// `ufw show added` lists the user's rules as ufw commands, whether or not ufw is active.
Expected<bool> rule_added(host::Host& host, const std::string& rule) {
  auto out = run_out(host, {kUfw, "show", "added"});
  if (!out) return Error{out.error()};
  for (auto line : split_lines(*out))
    if (trim(line) == rule) return true;
  return false;
}

Expected<bool> ufw_active(host::Host& host) {
  auto out = run_out(host, {kUfw, "status", "verbose"});
  if (!out) return Error{out.error()};
  auto status = facts::parse_ufw_status(*out);
  if (!status) return Error{status.error()};
  return status->active;
}

bool docker_present(host::Host& host) {
  return host.files.exists("/usr/bin/docker") || host.files.exists("/snap/bin/docker") ||
         host.files.exists("/usr/bin/dockerd");
}

class FirewallStep : public Step {
 public:
  int number() const override { return 4; }
  std::string_view name() const override { return "UFW firewall (deny all except Tailscale)"; }
  std::string_view slug() const override { return "firewall"; }
  GateKind gate() const override { return GateKind::tailscale; }
  bool deadman() const override { return true; }

  Expected<StepPlan> plan(host::Host& host, const Options&) override {
    if (!host.files.exists(kUfw))
      return Error{"ufw is not installed: run `apt-get install ufw` (Debian 12 images do not ship it)"};
    StepPlan plan;
    const std::string port = std::to_string(facts::wireguard_port(host)) + "/udp";
    auto previous_in = configured_policy(host, "DEFAULT_INPUT_POLICY");
    auto previous_out = configured_policy(host, "DEFAULT_OUTPUT_POLICY");
    if (!previous_in) return Error{"cannot read " + std::string(kUfwDefaults) + ": " + previous_in.error()};
    auto ipv6 = configured_policy(host, "IPV6");
    if (ipv6 && to_lower(*ipv6) != "yes")
      plan.notes.push_back("IPV6=" + *ipv6 + " in /etc/default/ufw: IPv6 traffic is not filtered by ufw");

    // ufw rewrites user.rules in its own full format on `ufw delete`/`disable`: keep the bytes.
    plan.changes.push_back(std::make_unique<KeepOriginalBytes>(
        std::vector<std::string>{"/etc/ufw/user.rules", "/etc/ufw/user6.rules", "/etc/ufw/ufw.conf", kUfwDefaults},
        [port](host::Host& h) -> Expected<bool> {
          auto in = configured_policy(h, "DEFAULT_INPUT_POLICY");
          auto out = configured_policy(h, "DEFAULT_OUTPUT_POLICY");
          if (!in || !out) return Error{in ? out.error() : in.error()};
          if (*in != "DROP" || *out != "ACCEPT") return false;
          for (const std::string& rule : {std::string("allow in on tailscale0"), "allow " + port}) {
            auto added = rule_added(h, "ufw " + rule);
            if (!added) return Error{added.error()};
            if (!*added) return false;
          }
          return ufw_active(h);
        }));
    plan.changes.push_back(std::make_unique<ProbedCommand>(
        "default deny incoming",
        [](host::Host& h) -> Expected<bool> {
          auto p = configured_policy(h, "DEFAULT_INPUT_POLICY");
          if (!p) return Error{p.error()};
          return *p == "DROP";
        },
        std::vector<std::string>{kUfw, "default", "deny", "incoming"},
        std::vector<std::string>{kUfw, "default", policy_word(*previous_in), "incoming"}));
    plan.changes.push_back(std::make_unique<ProbedCommand>(
        "default allow outgoing",
        [](host::Host& h) -> Expected<bool> {
          auto p = configured_policy(h, "DEFAULT_OUTPUT_POLICY");
          if (!p) return Error{p.error()};
          return *p == "ACCEPT";
        },
        std::vector<std::string>{kUfw, "default", "allow", "outgoing"},
        std::vector<std::string>{kUfw, "default", policy_word(previous_out.value_or("ACCEPT")), "outgoing"}));
    // The tailscale0 rule carries SSH (and everything else) over the tailnet.
    for (const std::string& rule : {std::string("allow in on tailscale0"), "allow " + port}) {
      std::vector<std::string> argv = {kUfw};
      for (auto word : split_ws(rule)) argv.emplace_back(word);
      std::vector<std::string> undo = {kUfw, "delete"};
      for (auto word : split_ws(rule)) undo.emplace_back(word);
      plan.changes.push_back(std::make_unique<ProbedCommand>(
          rule, [rule](host::Host& h) { return rule_added(h, "ufw " + rule); }, argv, undo));
    }
    plan.changes.push_back(std::make_unique<ProbedCommand>("enable ufw", ufw_active,
                                                           std::vector<std::string>{kUfw, "--force", "enable"},
                                                           std::vector<std::string>{kUfw, "disable"}));
    if (docker_present(host))
      plan.notes.push_back(
          "Docker is installed: ports it publishes (-p) bypass ufw, because Docker's own chains see the "
          "packets before ufw's INPUT rules. Fix: publish on 127.0.0.1 or the Tailscale address only "
          "(-p 127.0.0.1:3000:3000), or add a DOCKER-USER rule that drops traffic not from tailscale0 "
          "(`iptables -I DOCKER-USER -i eth0 -j DROP`, made persistent in /etc/ufw/after.rules).");
    return plan;
  }

  // Enabling a default-deny firewall is only safe once the tailnet path exists and was proven.
  Status preflight(host::Host& host, const Options& options) override {
    if (!host.live()) return ok_status();  // a tree's firewall starts at its next boot
    return preflight_firewall(host, options.journal);
  }

  Status verify(host::Host& host, const Options&) override {
    auto out = run_out(host, {kUfw, "status", "verbose"});
    if (!out) return Error{out.error()};
    auto status = facts::parse_ufw_status(*out);
    if (!status) return Error{status.error()};
    std::vector<std::string> wrong;
    if (!status->active) wrong.push_back("ufw is not active");
    if (status->default_incoming != "deny") wrong.push_back("default incoming is " + status->default_incoming);
    bool tunnel = std::any_of(status->rules.begin(), status->rules.end(),
                              [](const std::string& r) { return r.find("on tailscale0") != std::string::npos; });
    const std::string port = std::to_string(facts::wireguard_port(host)) + "/udp";
    bool wireguard = std::any_of(status->rules.begin(), status->rules.end(),
                                 [&](const std::string& r) { return r.starts_with(port); });
    if (!tunnel) wrong.push_back("no rule allows tailscale0");
    if (!wireguard) wrong.push_back("no rule allows " + port);
    if (!wrong.empty()) return Error{"ufw status verbose after the change: " + join(wrong, "; ")};
    return ok_status();
  }
};

}  // namespace

std::unique_ptr<Step> make_firewall_step() { return std::make_unique<FirewallStep>(); }

}  // namespace dh::steps
