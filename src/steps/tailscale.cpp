// Runbook step 3: Tailscale from Tailscale's apt repository, `tailscale up`, and the address the
// later steps and the gate use.
#include <nlohmann/json.hpp>
#include <ostream>
#include <thread>

#include "facts/gather.h"
#include "facts/parsers.h"
#include "steps/probed_change.h"
#include "steps/step.h"
#include "steps/steps_internal.h"
#include "util/strings.h"

namespace dh::steps {
namespace {

constexpr const char* kTailscale = "/usr/bin/tailscale";
constexpr const char* kKeyring = "/usr/share/keyrings/tailscale-archive-keyring.gpg";
constexpr const char* kListFile = "/etc/apt/sources.list.d/tailscale.list";

// The Tailscale IPv4 address, from `tailscale ip -4`; an error while logged out.
Expected<std::string> tailscale_ipv4(host::Host& host) {
  auto r = host.commands.run({kTailscale, "ip", "-4"}, {});
  if (!r) return Error{r.error()};
  std::string ip(trim(r->out));
  if (r->exit_code != 0 || ip.empty())
    return Error{"`tailscale ip -4` has no address: " + std::string(trim(r->err.empty() ? r->out : r->err))};
  ip = ip.substr(0, ip.find('\n'));
  if (facts::classify_address(ip) != facts::AddressScope::tailnet)
    return Error{"`tailscale ip -4` printed " + ip + ", which is not in 100.64.0.0/10"};
  return ip;
}

struct TailscaleStatus {
  std::string backend_state;  // "Running", "NeedsLogin", "Stopped", ...
  std::string auth_url;
};

Expected<TailscaleStatus> tailscale_status(host::Host& host) {
  auto r = host.commands.run({kTailscale, "status", "--json"}, {});
  if (!r) return Error{r.error()};
  auto doc = nlohmann::json::parse(r->out, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    return Error{"`tailscale status --json` did not print JSON: " + std::string(trim(r->err))};
  return TailscaleStatus{doc.value("BackendState", ""), doc.value("AuthURL", "")};
}

// Tailscale publishes one repository per distribution and codename.
Expected<std::pair<std::string, std::string>> distribution(host::Host& host) {
  auto text = host.files.read("/etc/os-release");
  if (!text) return Error{text.error()};
  auto os = facts::parse_os_release(*text);
  if ((os.id != "ubuntu" && os.id != "debian") || os.version_codename.empty())
    return Error{"Tailscale's apt repository has no entry for " + os.id + " " + os.version_id};
  return std::make_pair(os.id, os.version_codename);
}

// `tailscale up`, which waits for a login in a browser: the URL is shown and the wait has
// progress. An auth key (--ts-authkey or TS_AUTHKEY) makes it unattended; the key goes to
// tailscale through a 0600 file that is removed at once, never into argv or the journal.
class TailscaleUp : public engine::Change {
 public:
  explicit TailscaleUp(const Options& options) : options_(options) {}
  std::string describe() const override { return "tailscale up (this box joins your tailnet)"; }

  Expected<bool> check_apply(host::Host& host, engine::Applier& applier) override {
    if (host.files.exists(kTailscale) && running(host)) return true;
    if (!applier.dry_run()) {
      if (auto s = log_in(host, applier); !s) return Error{s.error()};
    }
    // Journaled (undo: tailscale down); once logged in it returns at once.
    if (auto s = applier.run_command(argv(), {kTailscale, "down"}); !s) return Error{s.error()};
    return false;
  }

  Status verify(host::Host& host) override {
    if (!running(host)) return Error{"tailscale is not in the Running state"};
    auto ip = tailscale_ipv4(host);
    return ip ? ok_status() : Status(Error{ip.error()});
  }

 private:
  static bool running(host::Host& host) {
    auto status = tailscale_status(host);
    return status.ok() && status->backend_state == "Running" && tailscale_ipv4(host).ok();
  }

  std::vector<std::string> argv() const {
    std::vector<std::string> argv = {kTailscale, "up"};
    if (options_.tailscale_ssh) argv.push_back("--ssh");
    return argv;
  }

  Status log_in(host::Host& host, engine::Applier& applier) {
    std::string key = options_.tailscale_authkey;
    if (key.empty()) key = host.env.get("TS_AUTHKEY").value_or("");
    host::RunOptions run;
    if (!key.empty()) {
      const std::string key_file = "/run/devbox-harden-tailscale.key";
      if (auto s = host.files.write_atomic(key_file, key, 0600, 0, 0); !s) return Error{s.error()};
      auto args = argv();
      args.push_back("--auth-key=file:" + key_file);
      run.timeout = std::chrono::minutes(2);
      auto r = host.commands.run(args, run);
      (void)host.files.remove(key_file);
      if (!r) return Error{r.error()};
      if (r->exit_code != 0) return Error{"tailscale up with the auth key failed: " + std::string(trim(r->err))};
      return ok_status();
    }
    // Start the login without waiting for it, then show the URL and wait.
    auto args = argv();
    args.push_back("--timeout=5s");
    run.timeout = std::chrono::seconds(30);
    auto r = host.commands.run(args, run);
    if (!r) return Error{r.error()};
    if (running(host)) return ok_status();
    std::string url;
    if (auto status = tailscale_status(host); status) url = status->auth_url;
    if (url.empty()) {
      auto text = r->err + r->out;
      auto pos = text.find("https://");
      if (pos != std::string::npos) url = text.substr(pos, text.find_first_of(" \t\r\n", pos) - pos);
    }
    if (url.empty())
      return Error{"tailscale up did not print a login URL: " + std::string(trim(r->err.empty() ? r->out : r->err))};
    applier.note("To add this box to your tailnet, open this URL in a browser and log in:");
    applier.note("    " + url);
    const auto deadline = host.clock.now() + options_.tailscale_login_wait;
    int dots = 0;
    while (host.clock.now() < deadline) {
      if (running(host)) {
        applier.note("logged in");
        return ok_status();
      }
      if (++dots % 10 == 0) applier.note("still waiting for the login in the browser...");
      std::this_thread::sleep_for(std::chrono::seconds(3));
    }
    return Error{"no Tailscale login within the wait; run `devbox-harden harden --from 3` again (or pass --ts-authkey)"};
  }

  Options options_;
};

class TailscaleStep : public Step {
 public:
  int number() const override { return 3; }
  std::string_view name() const override { return "Tailscale VPN"; }
  std::string_view slug() const override { return "tailscale"; }
  GateKind gate() const override { return GateKind::tailscale; }
  bool deadman() const override { return false; }

  Expected<StepPlan> plan(host::Host& host, const Options& options) override {
    StepPlan plan;
    if (!host.files.exists(kTailscale)) {
      auto dist = distribution(host);
      if (!dist) return Error{dist.error()};
      const auto& [id, codename] = *dist;
      // As the runbook: the repository's key and list, then apt (no curl-pipe-sh).
      std::string base = "https://pkgs.tailscale.com/stable/" + id + "/" + codename;
      plan.changes.push_back(std::make_unique<ProbedCommand>(
          "Tailscale's signing key in " + std::string(kKeyring),
          [](host::Host& h) -> Expected<bool> {
            auto info = h.files.stat(kKeyring);
            return info.ok() && info->size > 0;
          },
          std::vector<std::string>{"curl", "-fsSL", "--retry", "3", "-o", kKeyring, base + ".noarmor.gpg"},
          std::vector<std::string>{"rm", "-f", kKeyring}));
      plan.changes.push_back(std::make_unique<engine::FileContent>(
          kListFile, "# Tailscale's stable repository (written by devbox-harden, runbook step 3)\ndeb [signed-by=" +
                         std::string(kKeyring) + "] https://pkgs.tailscale.com/stable/" + id + " " + codename +
                         " main\n",
          0644));
      plan.changes.push_back(std::make_unique<ProbedCommand>(
          "apt-get update (reads the new repository)",
          [](host::Host& h) -> Expected<bool> { return h.files.exists(kTailscale); },
          std::vector<std::string>{"apt-get", "update", "-q"}, std::vector<std::string>{}));
      plan.changes.push_back(std::make_unique<ProbedCommand>(
          "install tailscale", [](host::Host& h) -> Expected<bool> { return h.files.exists(kTailscale); },
          std::vector<std::string>{"apt-get", "install", "-y", "-q", "tailscale"},
          std::vector<std::string>{"apt-get", "remove", "-y", "-q", "tailscale"}));
    } else {
      plan.notes.push_back("tailscale is installed");
    }
    if (!host.live()) return Error{"a tree (--root) cannot join a tailnet: run this step on the box itself"};
    plan.changes.push_back(std::make_unique<TailscaleUp>(options));
    plan.notes.push_back("WireGuard port " + std::to_string(facts::wireguard_port(host)) +
                         " (PORT= in /etc/default/tailscaled); steps 4 and 6 open this one");
    if (options.tailscale_ssh) {
      plan.notes.push_back(
          "Tailscale SSH is on: connections through it bypass sshd entirely, so step 5's sshd hardening "
          "and fail2ban do NOT apply to them; access is governed by your tailnet's ACL only. Suggested "
          "ACL: \"ssh\": [{\"action\": \"check\", \"src\": [\"autogroup:member\"], \"dst\": "
          "[\"autogroup:self\"], \"users\": [\"autogroup:nonroot\"]}]");
    }
    return plan;
  }

  Status verify(host::Host& host, const Options&) override {
    auto ip = tailscale_ipv4(host);
    if (!ip) return Error{ip.error()};
    return ok_status();
  }

};

}  // namespace

std::unique_ptr<Step> make_tailscale_step() { return std::make_unique<TailscaleStep>(); }

}  // namespace dh::steps
