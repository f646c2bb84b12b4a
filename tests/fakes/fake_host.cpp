#include "fakes/fake_host.h"

#include <algorithm>
#include <set>

namespace dh::fake {
namespace {
std::string parent_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}
std::string join_argv(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}
}  // namespace

void FakeFiles::add(const std::string& path, std::string content, mode_t mode, uid_t uid, gid_t gid) {
  files[path] = FakeFile{host::FileInfo::Type::regular, std::move(content), mode, uid, gid};
}
void FakeFiles::add_dir(const std::string& path, mode_t mode) {
  files[path] = FakeFile{host::FileInfo::Type::directory, "", mode, 0, 0};
}
void FakeFiles::add_symlink(const std::string& path, std::string target) {
  files[path] = FakeFile{host::FileInfo::Type::symlink, std::move(target), 0777, 0, 0};
}

Expected<std::string> FakeFiles::read(const std::string& path) {
  reads.push_back(path);
  auto it = files.find(path);
  if (it == files.end()) return Error{path + ": No such file or directory"};
  if (it->second.type == host::FileInfo::Type::symlink) return read(it->second.content);
  if (it->second.type == host::FileInfo::Type::directory) return Error{path + ": Is a directory"};
  return it->second.content;
}

Expected<std::vector<std::string>> FakeFiles::list_dir(const std::string& path) {
  std::string prefix = path == "/" ? "/" : path + "/";
  std::set<std::string> names;
  for (const auto& [p, f] : files) {
    if (!p.starts_with(prefix) || p.size() == prefix.size()) continue;
    std::string rest = p.substr(prefix.size());
    names.insert(rest.substr(0, rest.find('/')));
  }
  auto it = files.find(path);
  if (names.empty() && (it == files.end() || it->second.type != host::FileInfo::Type::directory))
    return Error{path + ": No such file or directory"};
  return std::vector<std::string>(names.begin(), names.end());
}

Expected<std::string> FakeFiles::read_link(const std::string& path) {
  auto it = files.find(path);
  if (it == files.end()) return Error{path + ": No such file or directory"};
  if (it->second.type != host::FileInfo::Type::symlink) return Error{path + ": Invalid argument"};
  return it->second.content;
}

Expected<host::FileInfo> FakeFiles::stat(const std::string& path) {
  auto it = files.find(path);
  if (it == files.end()) {
    // A directory exists implicitly when something lives below it.
    std::string prefix = path == "/" ? "/" : path + "/";
    for (const auto& [p, f] : files)
      if (p.starts_with(prefix)) return host::FileInfo{host::FileInfo::Type::directory, 0755, 0, 0, 0};
    return Error{path + ": No such file or directory"};
  }
  const auto& f = it->second;
  return host::FileInfo{f.type, f.mode, f.uid, f.gid, static_cast<off_t>(f.content.size())};
}

Status FakeFiles::count_mutation(const std::string& what) {
  ++mutations_;
  if (fail_on_mutation && mutations_ == fail_on_mutation) return Error{what + ": injected failure"};
  return ok_status();
}

Status FakeFiles::write_atomic(const std::string& path, std::string_view content, mode_t mode, uid_t uid, gid_t gid) {
  if (auto s = count_mutation("write " + path); !s) return s;
  if (!stat(parent_of(path)).ok()) return Error{parent_of(path) + ": No such file or directory"};
  writes.push_back("write " + path);
  files[path] = FakeFile{host::FileInfo::Type::regular, std::string(content), mode, uid, gid};
  return ok_status();
}

Status FakeFiles::remove(const std::string& path) {
  if (auto s = count_mutation("remove " + path); !s) return s;
  if (!files.count(path)) return Error{path + ": No such file or directory"};
  writes.push_back("remove " + path);
  files.erase(path);
  return ok_status();
}

Status FakeFiles::make_dirs(const std::string& path, mode_t mode) {
  if (stat(path).ok()) return ok_status();
  if (auto s = count_mutation("mkdir " + path); !s) return s;
  writes.push_back("mkdir " + path);
  add_dir(path, mode);
  return ok_status();
}

Status FakeFiles::create_exclusive(const std::string& path, std::string_view content, mode_t mode) {
  if (stat(path).ok()) return Error{path + ": File exists"};
  if (auto s = count_mutation("create " + path); !s) return s;
  if (!stat(parent_of(path)).ok()) return Error{parent_of(path) + ": No such file or directory"};
  writes.push_back("create " + path);
  files[path] = FakeFile{host::FileInfo::Type::regular, std::string(content), mode, 0, 0};
  return ok_status();
}

Expected<std::string> FakeProcesses::read_proc(const std::string& rel) {
  auto it = proc.find(rel);
  if (it == proc.end()) return Error{"/proc/" + rel + ": No such file or directory"};
  return it->second;
}

Expected<std::vector<std::string>> FakeProcesses::list_proc(const std::string& rel) {
  std::string prefix = rel + "/";
  std::set<std::string> names;
  for (const auto* table : {&proc, &links})
    for (const auto& [p, v] : *table)
      if (p.starts_with(prefix)) names.insert(p.substr(prefix.size(), p.find('/', prefix.size()) - prefix.size()));
  if (names.empty()) return Error{"/proc/" + rel + ": No such file or directory"};
  return std::vector<std::string>(names.begin(), names.end());
}

Expected<std::string> FakeProcesses::read_proc_link(const std::string& rel) {
  auto it = links.find(rel);
  if (it == links.end()) return Error{"/proc/" + rel + ": No such file or directory"};
  return it->second;
}

Expected<int> FakeProcesses::spawn_detached(const std::vector<std::string>& argv, const std::string& log_path) {
  spawned.push_back(join_argv(argv) + " >>" + log_path);
  alive.insert(next_spawn_pid);
  std::string cmdline;
  for (const auto& a : argv) cmdline += a + '\0';
  proc[std::to_string(next_spawn_pid) + "/cmdline"] = cmdline;
  return next_spawn_pid++;
}

Status FakeProcesses::kill(int target, int signal) {
  if (target != pid && !alive.count(target)) return Error{"kill: No such process"};
  if (signal != 0) {
    killed.push_back(std::to_string(target) + " " + std::to_string(signal));
    alive.erase(target);
  }
  return ok_status();
}

void FakeCommands::reply(const std::string& command_line, std::string out, int exit_code, std::string err) {
  replies[command_line] = host::CommandResult{exit_code, std::move(out), std::move(err), false};
}

Expected<host::CommandResult> FakeCommands::run(const std::vector<std::string>& argv, const host::RunOptions& options) {
  std::string line = join_argv(argv);
  ran.push_back(line);
  if (auto h = handlers.find(line); h != handlers.end()) return h->second(argv, options);
  if (auto r = replies.find(line); r != replies.end()) return r->second;
  return Error{argv.empty() ? "empty command" : argv[0] + ": No such file or directory"};
}

Expected<host::HttpResponse> FakeHttp::request(const host::HttpRequest& request) {
  std::string key = request.method + " " + request.url;
  requests.push_back(key);
  // A reply keyed "METHOD URL [Header-Name]" answers only requests that carry that header.
  for (const auto& header : request.headers) {
    auto with = replies.find(key + " [" + header.substr(0, header.find(':')) + "]");
    if (with != replies.end()) return with->second;
  }
  auto it = replies.find(key);
  if (it == replies.end()) return Error{"Connection refused"};
  return it->second;
}

std::optional<std::string> FakeEnvironment::get(const std::string& name) {
  auto it = vars.find(name);
  if (it == vars.end()) return std::nullopt;
  return it->second;
}

}  // namespace dh::fake
