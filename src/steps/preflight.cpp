#include "steps/preflight.h"

#include "facts/parsers.h"
#include "steps/step.h"
#include "util/strings.h"

namespace dh::steps {

Status preflight_password_disable(host::Host& host, const std::string& user) {
  if (user.empty() || user == "root")
    return Error{"cannot tell which account you log in with (SUDO_USER is " +
                 std::string(user.empty() ? "unset" : "root") + ")"};
  auto evidence = user_key_evidence(host, user);
  if (!evidence) return Error{evidence.error()};
  return ok_status();
}

Expected<std::string> preflight_root_key_removal(host::Host& host) {
  auto group_text = host.files.read("/etc/group");
  if (!group_text) return Error{"cannot read /etc/group: " + group_text.error()};
  std::vector<std::string> candidates;
  for (const auto& g : facts::parse_group(*group_text))
    if (g.name == "sudo" || g.name == "admin" || g.name == "wheel")
      for (const auto& m : g.members)
        if (m != "root") candidates.push_back(m);
  std::vector<std::string> reasons;
  for (const auto& user : candidates) {
    auto evidence = user_key_evidence(host, user);
    if (evidence) return user;
    reasons.push_back(evidence.error());
  }
  if (candidates.empty())
    return Error{"refusing to remove root's keys: no other user is in group sudo, admin or wheel"};
  return Error{"refusing to remove root's keys: no other sudo-capable user has a valid key (" + join(reasons, "; ") + ")"};
}

Status preflight_firewall(host::Host& host, const std::vector<engine::json>& journal) {
  bool confirmed = false;
  for (const auto& g : engine::gate_states(journal))
    if (g.kind == "tailscale" && g.state == engine::GateState::State::confirmed) confirmed = true;
  if (!confirmed)
    return Error{"refusing to enable the firewall: the Tailscale gate (step 3) was never confirmed; "
                 "SSH in over Tailscale and run `sudo devbox-harden confirm` first"};
  host::RunOptions options;
  options.in_root = false;
  auto r = host.commands.run({"ip", "-j", "addr", "show", "dev", "tailscale0"}, options);
  if (!r || r->exit_code != 0) return Error{"refusing to enable the firewall: there is no tailscale0 interface"};
  auto links = nlohmann::json::parse(r->out, nullptr, false);
  if (!links.is_array() || links.empty()) return Error{"refusing to enable the firewall: cannot read tailscale0"};
  const auto& link = links[0];
  bool up = false;
  if (link.contains("flags") && link["flags"].is_array())
    for (const auto& f : link["flags"])
      if (f == "UP") up = true;
  if (!up) return Error{"refusing to enable the firewall: tailscale0 is down"};
  bool address = link.contains("addr_info") && link["addr_info"].is_array() && !link["addr_info"].empty();
  if (!address) return Error{"refusing to enable the firewall: tailscale0 has no address (is `tailscale up` done?)"};
  return ok_status();
}

}  // namespace dh::steps
