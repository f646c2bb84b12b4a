#pragma once
#include <memory>

#include "steps/step.h"

namespace dh::steps {
std::unique_ptr<Step> make_ssh_step();
std::unique_ptr<Step> make_tailscale_step();
std::unique_ptr<Step> make_firewall_step();
}  // namespace dh::steps
