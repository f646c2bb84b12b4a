#pragma once
// The only door to the system. Everything else reads and changes the machine through these
// interfaces, so tests can hand in a fake that records every read, write and command.
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/expected.h"

namespace dh::host {

struct FileInfo {
  enum class Type { regular, directory, symlink, other };
  Type type = Type::regular;
  mode_t mode = 0;  // permission bits only (07777)
  uid_t uid = 0;
  gid_t gid = 0;
  off_t size = 0;
};

// Every path is host-absolute ("/etc/ssh/sshd_config") and is resolved under the host's root,
// symlinks included, so `--root DIR` can never read or write outside DIR.
class Files {
 public:
  virtual ~Files() = default;
  virtual Expected<std::string> read(const std::string& path) = 0;
  // Entry names (not paths), sorted bytewise, without "." and "..".
  virtual Expected<std::vector<std::string>> list_dir(const std::string& path) = 0;
  virtual Expected<std::string> read_link(const std::string& path) = 0;
  // Does not follow a final symlink (lstat).
  virtual Expected<FileInfo> stat(const std::string& path) = 0;

  // Temp file beside the target, fsync, chmod/chown, rename, fsync the directory.
  virtual Status write_atomic(const std::string& path, std::string_view content, mode_t mode,
                              uid_t uid, gid_t gid) = 0;
  virtual Status remove(const std::string& path) = 0;
  virtual Status make_dirs(const std::string& path, mode_t mode) = 0;
  // Creates a new file and fails if anything already exists at path (O_CREAT|O_EXCL), so two
  // runs racing for a lock file cannot both win. Not atomic with respect to content.
  virtual Status create_exclusive(const std::string& path, std::string_view content, mode_t mode) {
    (void)path, (void)content, (void)mode;
    return Error{"create_exclusive is not supported by this host"};
  }

  bool exists(const std::string& path) { return stat(path).ok(); }
};

struct CommandResult {
  int exit_code = -1;  // -1 when killed by a signal or timed out
  std::string out;
  std::string err;
  bool timed_out = false;
};

struct RunOptions {
  std::chrono::milliseconds timeout{10000};
  std::string input;  // written to the command's stdin
  // Extra environment entries on top of a minimal PATH/LANG=C environment.
  std::map<std::string, std::string> env;
  // Under --root, run through chroot into the root (true), or on the host itself (false).
  bool in_root = true;
  // Under --root, give the command a fresh, empty network namespace, so that nothing run for a
  // tree (ufw, iptables, sysctl -w net.*) can read or change the host's live network state, nor
  // report the host's state as the tree's. Only a command that needs the network (apt-get) may
  // turn it off.
  bool isolate_network = true;
  // Called with each chunk of stdout and stderr as it arrives (progress for long commands such
  // as apt-get); the chunks are also collected in the result.
  std::function<void(std::string_view)> on_output;
};

class Commands {
 public:
  virtual ~Commands() = default;
  // An error means the command could not be run at all (not found, not executable); a command
  // that ran and failed is an ok result with a non-zero exit_code.
  virtual Expected<CommandResult> run(const std::vector<std::string>& argv,
                                      const RunOptions& options) = 0;
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
  std::chrono::milliseconds connect_timeout{300};
  std::chrono::milliseconds timeout{800};
};

struct HttpResponse {
  long status = 0;
  std::string body;
};

class Http {
 public:
  virtual ~Http() = default;
  virtual Expected<HttpResponse> request(const HttpRequest& request) = 0;
};

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point now() = 0;
};

class Environment {
 public:
  virtual ~Environment() = default;
  virtual std::optional<std::string> get(const std::string& name) = 0;
};

// The running system's processes. Unlike Files, /proc is always the real one (never under
// --root): a lock holder, a dead-man process or the SSH session above `confirm` live on the
// machine that runs the program, whatever tree it works on.
class Processes {
 public:
  virtual ~Processes() = default;
  virtual int self_pid() = 0;
  // Absolute path of the running executable (/proc/self/exe).
  virtual Expected<std::string> self_exe() = 0;
  // rel is below /proc: "1234/stat", "net/tcp", "self/status".
  virtual Expected<std::string> read_proc(const std::string& rel) = 0;
  virtual Expected<std::vector<std::string>> list_proc(const std::string& rel) = 0;
  virtual Expected<std::string> read_proc_link(const std::string& rel) = 0;
  // Starts argv fully detached (double fork, setsid, stdin from /dev/null, stdout and stderr
  // appended to log_path, a path on the running system) so it outlives this process and its
  // SSH session. Returns the pid of the detached process.
  virtual Expected<int> spawn_detached(const std::vector<std::string>& argv, const std::string& log_path) = 0;
  virtual Status kill(int pid, int signal) = 0;
  // systemd is PID 1 of the running system (/run/systemd/system exists).
  virtual bool systemd_booted() = 0;
};

struct Host {
  Files& files;
  Commands& commands;
  Http& http;
  Clock& clock;
  Environment& env;
  std::string root = "/";  // what `--root` named; "/" is the running system
  bool live() const { return root == "/"; }
  Processes* processes = nullptr;  // null only in hosts built before it existed
};

}  // namespace dh::host
