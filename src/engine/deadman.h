#pragma once
// The dead-man timer (like Junos `commit confirmed`): after a change that can cut access, an
// automatic rollback is armed that fires at the deadline unless `confirm` proved the new path
// first. It must outlive the user's SSH session: a systemd-run transient timer where systemd is
// PID 1, a detached process (own session, no terminal) otherwise. Both run the same hidden
// `devbox-harden deadman` command, which re-reads the journal, so a confirmation recorded there
// wins even if stopping the timer fails.
#include <iosfwd>
#include <string>
#include <vector>

#include "engine/journal.h"
#include "host/host.h"

namespace dh::engine {

std::string deadman_unit(const std::string& token);
std::vector<std::string> deadman_command(const std::string& exe, const std::string& root, const std::string& state_dir,
                                         const std::string& token);
std::vector<std::string> systemd_run_argv(const std::string& token, int64_t seconds,
                                          const std::vector<std::string>& command);
// Arms the timer; returns what was armed: {"kind":"systemd","unit":U} or {"kind":"process","pid":P}.
Expected<json> arm_deadman(host::Host& host, const std::string& state_dir, const std::string& token, int64_t seconds);
// Stops an armed timer (best effort; the journal decides anyway). Never signals the caller itself.
void disarm_deadman(host::Host& host, const json& deadman, const std::string& token, std::ostream& out);
// Host-absolute paths of the state dir as seen by the running system (for logs of detached processes).
std::string real_path(const host::Host& host, const std::string& path);

}  // namespace dh::engine
