#pragma once
// The real Host: files under a root directory (resolved with openat2 RESOLVE_IN_ROOT, so an
// absolute symlink inside a tree stays inside it), commands by fork/exec with a timeout (through
// chroot under --root), HTTP through libcurl.
#include <memory>
#include <string>

#include "host/host.h"

namespace dh::host {

class RealFiles : public Files {
 public:
  explicit RealFiles(std::string root);
  ~RealFiles() override;
  Expected<std::string> read(const std::string& path) override;
  Expected<std::vector<std::string>> list_dir(const std::string& path) override;
  Expected<std::string> read_link(const std::string& path) override;
  Expected<FileInfo> stat(const std::string& path) override;
  Status write_atomic(const std::string& path, std::string_view content, mode_t mode, uid_t uid,
                      gid_t gid) override;
  Status remove(const std::string& path) override;
  Status make_dirs(const std::string& path, mode_t mode) override;
  Status create_exclusive(const std::string& path, std::string_view content, mode_t mode) override;

 private:
  // Opens path under the root; flags are open(2) flags. Returns an fd or -errno.
  int open_in_root(const std::string& path, int flags, mode_t mode = 0) const;
  std::string root_;
  int root_fd_ = -1;
};

class RealCommands : public Commands {
 public:
  explicit RealCommands(std::string root) : root_(std::move(root)) {}
  Expected<CommandResult> run(const std::vector<std::string>& argv,
                              const RunOptions& options) override;

 private:
  std::string root_;
};

class RealHttp : public Http {
 public:
  Expected<HttpResponse> request(const HttpRequest& request) override;
};

class RealClock : public Clock {
 public:
  std::chrono::system_clock::time_point now() override { return std::chrono::system_clock::now(); }
};

class RealEnvironment : public Environment {
 public:
  std::optional<std::string> get(const std::string& name) override;
};

class RealProcesses : public Processes {
 public:
  int self_pid() override;
  Expected<std::string> self_exe() override;
  Expected<std::string> read_proc(const std::string& rel) override;
  Expected<std::vector<std::string>> list_proc(const std::string& rel) override;
  Expected<std::string> read_proc_link(const std::string& rel) override;
  Expected<int> spawn_detached(const std::vector<std::string>& argv, const std::string& log_path) override;
  Status kill(int pid, int signal) override;
  bool systemd_booted() override;
};

// Owns the real pieces and exposes them as a Host.
class RealHost {
 public:
  explicit RealHost(const std::string& root);
  Host& host() { return host_; }

 private:
  RealFiles files_;
  RealCommands commands_;
  RealHttp http_;
  RealClock clock_;
  RealEnvironment env_;
  RealProcesses processes_;
  Host host_;
};

}  // namespace dh::host
