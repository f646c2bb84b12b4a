#pragma once
// fail2ban for step 5: install, the sshd jail, start or reload, and proof that the jail runs.
#include <string>

#include "engine/change.h"
#include "steps/step.h"

namespace dh::steps {

inline constexpr const char* kFail2banJail = "/etc/fail2ban/jail.d/devbox-harden.local";

// The jail text for this system (backend chosen by whether /var/log/auth.log exists).
std::string fail2ban_jail(host::Host& host);
void add_fail2ban_changes(host::Host& host, StepPlan& plan);
Status fail2ban_activate(host::Host& host, engine::Applier& applier);
// `fail2ban-client status sshd` answers: the jail really runs.
Status fail2ban_verify(host::Host& host);

}  // namespace dh::steps
