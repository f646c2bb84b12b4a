#pragma once
// An in-memory Host for unit and scenario tests: files live in a map, commands and HTTP answers
// are replayed from tables, and every write and every command is recorded so a test can assert
// exactly what a run touched (for example: "plan wrote nothing").
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "host/host.h"

namespace dh::fake {

struct FakeFile {
  host::FileInfo::Type type = host::FileInfo::Type::regular;
  std::string content;  // file content, or the target of a symlink
  mode_t mode = 0644;
  uid_t uid = 0;
  gid_t gid = 0;
};

class FakeFiles : public host::Files {
 public:
  std::map<std::string, FakeFile> files;  // host-absolute path -> file; directories implied
  std::vector<std::string> writes;        // "write PATH", "remove PATH", "mkdir PATH", in order
  std::vector<std::string> reads;
  // When set, the Nth mutating call (1-based, counted across write/remove/mkdir) fails.
  int fail_on_mutation = 0;

  void add(const std::string& path, std::string content, mode_t mode = 0644, uid_t uid = 0, gid_t gid = 0);
  void add_dir(const std::string& path, mode_t mode = 0755);
  void add_symlink(const std::string& path, std::string target);

  Expected<std::string> read(const std::string& path) override;
  Expected<std::vector<std::string>> list_dir(const std::string& path) override;
  Expected<std::string> read_link(const std::string& path) override;
  Expected<host::FileInfo> stat(const std::string& path) override;
  Status write_atomic(const std::string& path, std::string_view content, mode_t mode, uid_t uid,
                      gid_t gid) override;
  Status remove(const std::string& path) override;
  Status make_dirs(const std::string& path, mode_t mode) override;
  Status create_exclusive(const std::string& path, std::string_view content, mode_t mode) override;

 private:
  Status count_mutation(const std::string& what);
  int mutations_ = 0;
};

class FakeCommands : public host::Commands {
 public:
  using Handler = std::function<Expected<host::CommandResult>(const std::vector<std::string>& argv,
                                                              const host::RunOptions& options)>;
  // Keyed by the argv joined with single spaces. Unlisted commands are "not found".
  std::map<std::string, host::CommandResult> replies;
  std::map<std::string, Handler> handlers;  // checked before replies
  std::vector<std::string> ran;             // every argv joined with spaces, in order

  void reply(const std::string& command_line, std::string out, int exit_code = 0, std::string err = "");
  Expected<host::CommandResult> run(const std::vector<std::string>& argv,
                                    const host::RunOptions& options) override;
};

class FakeHttp : public host::Http {
 public:
  // "METHOD URL" -> response; "METHOD URL [Header-Name]" is preferred when the request has it.
  std::map<std::string, host::HttpResponse> replies;
  std::vector<std::string> requests;                  // "METHOD URL", in order
  Expected<host::HttpResponse> request(const host::HttpRequest& request) override;
};

class FakeClock : public host::Clock {
 public:
  std::chrono::system_clock::time_point time{std::chrono::seconds(1'800'000'000)};
  std::chrono::system_clock::time_point now() override { return time; }
};

class FakeEnvironment : public host::Environment {
 public:
  std::map<std::string, std::string> vars;
  std::optional<std::string> get(const std::string& name) override;
};

// A process table and /proc in memory: "4242/stat" -> text, "4242/fd/3" -> "socket:[77]" (links).
class FakeProcesses : public host::Processes {
 public:
  int pid = 4242;
  std::string exe = "/usr/local/bin/devbox-harden";
  std::map<std::string, std::string> proc;   // rel path -> content
  std::map<std::string, std::string> links;  // rel path -> link target
  bool systemd = false;
  std::vector<std::string> spawned;  // argv joined with spaces
  std::vector<std::string> killed;   // "PID SIGNAL"
  std::set<int> alive;               // pids kill(pid, 0) succeeds for (besides pid)
  int next_spawn_pid = 9000;

  int self_pid() override { return pid; }
  Expected<std::string> self_exe() override { return exe; }
  Expected<std::string> read_proc(const std::string& rel) override;
  Expected<std::vector<std::string>> list_proc(const std::string& rel) override;
  Expected<std::string> read_proc_link(const std::string& rel) override;
  Expected<int> spawn_detached(const std::vector<std::string>& argv, const std::string& log_path) override;
  Status kill(int pid, int signal) override;
  bool systemd_booted() override { return systemd; }
};

struct FakeHost {
  FakeFiles files;
  FakeCommands commands;
  FakeHttp http;
  FakeClock clock;
  FakeEnvironment env;
  FakeProcesses processes;
  host::Host host{files, commands, http, clock, env, "/", &processes};
  explicit FakeHost(std::string root = "/") { host.root = std::move(root); }
  FakeHost(const FakeHost&) = delete;
  FakeHost& operator=(const FakeHost&) = delete;
};

}  // namespace dh::fake
