#pragma once
// Lockout pre-flight checks for restrictive changes (issue #3, item 8). Each returns an error
// whose text is the refusal reason shown to the user. Step 5 uses the key check today; steps 4
// (firewall) and 5's root-key removal use the others when they are implemented.
#include <string>
#include <vector>

#include "engine/journal.h"
#include "host/host.h"

namespace dh::steps {

// Passwords may be disabled only if `user` (SUDO_USER) has a valid authorized_keys entry.
Status preflight_password_disable(host::Host& host, const std::string& user);
// Root's keys may be removed only if another sudo-capable user (group sudo, admin or wheel) with
// a login shell has a valid authorized_keys entry. Returns that user on success.
Expected<std::string> preflight_root_key_removal(host::Host& host);
// The firewall may be enabled only if tailscale0 is up with an address and the Tailscale gate
// (step 3) was confirmed in the journal.
Status preflight_firewall(host::Host& host, const std::vector<engine::json>& journal);

}  // namespace dh::steps
