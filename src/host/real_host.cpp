#include "host/real_host.h"

#include <curl/curl.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <random>

namespace dh::host {
namespace {

std::string errno_text(int err) { return std::strerror(err); }

// Path relative to the root fd; "/" itself becomes ".".
std::string relative(const std::string& path) {
  size_t i = 0;
  while (i < path.size() && path[i] == '/') ++i;
  std::string rel = path.substr(i);
  return rel.empty() ? "." : rel;
}

std::pair<std::string, std::string> split_parent(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return {"/", path};
  std::string parent = slash == 0 ? "/" : path.substr(0, slash);
  return {parent, path.substr(slash + 1)};
}

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// Reads to EOF (procfs files report size 0, so no fstat).
Expected<std::string> read_all(int fd, const std::string& path) {
  std::string content;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error{path + ": " + errno_text(errno)};
    }
    if (n == 0) break;
    content.append(buf, static_cast<size_t>(n));
  }
  return content;
}

}  // namespace

RealFiles::RealFiles(std::string root) : root_(std::move(root)) {
  root_fd_ = ::open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
}

RealFiles::~RealFiles() {
  if (root_fd_ >= 0) ::close(root_fd_);
}

int RealFiles::open_in_root(const std::string& path, int flags, mode_t mode) const {
  if (root_fd_ < 0) return -ENOENT;
  open_how how{};
  how.flags = static_cast<uint64_t>(flags) | O_CLOEXEC;
  how.mode = (flags & O_CREAT) ? mode : 0;
  how.resolve = RESOLVE_IN_ROOT;
  std::string rel = relative(path);
  long fd = ::syscall(SYS_openat2, root_fd_, rel.c_str(), &how, sizeof how);
  return fd < 0 ? -errno : static_cast<int>(fd);
}

Expected<std::string> RealFiles::read(const std::string& path) {
  int fd = open_in_root(path, O_RDONLY);
  if (fd < 0) return Error{path + ": " + errno_text(-fd)};
  Fd guard(fd);
  return read_all(fd, path);
}

Expected<std::vector<std::string>> RealFiles::list_dir(const std::string& path) {
  int fd = open_in_root(path, O_RDONLY | O_DIRECTORY);
  if (fd < 0) return Error{path + ": " + errno_text(-fd)};
  DIR* dir = ::fdopendir(fd);
  if (!dir) {
    int err = errno;
    ::close(fd);
    return Error{path + ": " + errno_text(err)};
  }
  std::vector<std::string> names;
  while (dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

Expected<std::string> RealFiles::read_link(const std::string& path) {
  int fd = open_in_root(path, O_PATH | O_NOFOLLOW);
  if (fd < 0) return Error{path + ": " + errno_text(-fd)};
  Fd guard(fd);
  char buf[4096];
  ssize_t n = ::readlinkat(fd, "", buf, sizeof buf);
  if (n < 0) return Error{path + ": " + errno_text(errno)};
  return std::string(buf, static_cast<size_t>(n));
}

Expected<FileInfo> RealFiles::stat(const std::string& path) {
  int fd = open_in_root(path, O_PATH | O_NOFOLLOW);
  if (fd < 0) return Error{path + ": " + errno_text(-fd)};
  Fd guard(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Error{path + ": " + errno_text(errno)};
  FileInfo info;
  if (S_ISREG(st.st_mode)) info.type = FileInfo::Type::regular;
  else if (S_ISDIR(st.st_mode)) info.type = FileInfo::Type::directory;
  else if (S_ISLNK(st.st_mode)) info.type = FileInfo::Type::symlink;
  else info.type = FileInfo::Type::other;
  info.mode = st.st_mode & 07777;
  info.uid = st.st_uid;
  info.gid = st.st_gid;
  info.size = st.st_size;
  return info;
}

Status RealFiles::write_atomic(const std::string& path, std::string_view content, mode_t mode,
                               uid_t uid, gid_t gid) {
  auto [parent, name] = split_parent(path);
  int dfd = open_in_root(parent, O_RDONLY | O_DIRECTORY);
  if (dfd < 0) return Error{parent + ": " + errno_text(-dfd)};
  Fd dir(dfd);
  std::random_device rd;
  std::string tmp;
  int fd = -1;
  for (int attempt = 0; attempt < 16 && fd < 0; ++attempt) {
    tmp = "." + name + ".devbox-harden." + std::to_string(rd() % 1000000);
    fd = ::openat(dfd, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST) return Error{path + ": cannot create temp file: " + errno_text(errno)};
  }
  if (fd < 0) return Error{path + ": cannot create a unique temp file"};
  auto fail = [&](const std::string& what) -> Status {
    int err = errno;
    ::close(fd);
    ::unlinkat(dfd, tmp.c_str(), 0);
    return Error{path + ": " + what + ": " + errno_text(err)};
  };
  size_t off = 0;
  while (off < content.size()) {
    ssize_t n = ::write(fd, content.data() + off, content.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("write");
    }
    off += static_cast<size_t>(n);
  }
  if (::fchown(fd, uid, gid) != 0) return fail("chown");
  if (::fchmod(fd, mode & 07777) != 0) return fail("chmod");
  if (::fsync(fd) != 0) return fail("fsync");
  ::close(fd);
  if (::renameat(dfd, tmp.c_str(), dfd, name.c_str()) != 0) {
    int err = errno;
    ::unlinkat(dfd, tmp.c_str(), 0);
    return Error{path + ": rename: " + errno_text(err)};
  }
  ::fsync(dfd);
  return ok_status();
}

Status RealFiles::remove(const std::string& path) {
  auto [parent, name] = split_parent(path);
  int dfd = open_in_root(parent, O_RDONLY | O_DIRECTORY);
  if (dfd < 0) return Error{parent + ": " + errno_text(-dfd)};
  Fd dir(dfd);
  auto info = stat(path);
  int flags = info.ok() && info->type == FileInfo::Type::directory ? AT_REMOVEDIR : 0;
  if (::unlinkat(dfd, name.c_str(), flags) != 0) return Error{path + ": " + errno_text(errno)};
  ::fsync(dfd);
  return ok_status();
}

Status RealFiles::make_dirs(const std::string& path, mode_t mode) {
  std::string current;
  size_t pos = 0;
  while (pos < path.size()) {
    size_t next = path.find('/', pos + 1);
    std::string component = path.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
    pos = next == std::string::npos ? path.size() : next;
    if (component == "/" || component.empty()) continue;
    std::string parent = current.empty() ? "/" : current;
    current += component;
    auto info = stat(current);
    if (info.ok()) {
      if (info->type != FileInfo::Type::directory) return Error{current + ": exists and is not a directory"};
      continue;
    }
    int dfd = open_in_root(parent, O_RDONLY | O_DIRECTORY);
    if (dfd < 0) return Error{parent + ": " + errno_text(-dfd)};
    Fd dir(dfd);
    std::string name = component.substr(1);
    if (::mkdirat(dfd, name.c_str(), mode) != 0 && errno != EEXIST)
      return Error{current + ": " + errno_text(errno)};
  }
  return ok_status();
}

Status RealFiles::create_exclusive(const std::string& path, std::string_view content, mode_t mode) {
  int fd = open_in_root(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
  if (fd < 0) return Error{path + ": " + errno_text(-fd)};
  Fd guard(fd);
  size_t off = 0;
  while (off < content.size()) {
    ssize_t n = ::write(fd, content.data() + off, content.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error{path + ": write: " + errno_text(errno)};
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return Error{path + ": fsync: " + errno_text(errno)};
  return ok_status();
}

// ---- commands ----------------------------------------------------------------------------------

namespace {

constexpr const char* kPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

void child_fail(int fd, const char* stage) {
  int err = errno;
  char msg[256];
  int len = snprintf(msg, sizeof msg, "%s: %s", stage, strerror(err));
  if (len > 0) (void)!::write(fd, msg, static_cast<size_t>(std::min(len, 255)));
  _exit(127);
}

}  // namespace

Expected<CommandResult> RealCommands::run(const std::vector<std::string>& argv,
                                          const RunOptions& options) {
  if (argv.empty()) return Error{"empty command"};
  const bool chrooted = root_ != "/" && options.in_root;

  // Everything the child needs is built before fork: after it, only async-signal-safe calls.
  std::vector<std::string> candidates;
  if (argv[0].find('/') != std::string::npos) {
    candidates.push_back(argv[0]);
  } else {
    std::string dirs = kPath;
    size_t start = 0;
    while (start <= dirs.size()) {
      size_t colon = dirs.find(':', start);
      if (colon == std::string::npos) colon = dirs.size();
      candidates.push_back(dirs.substr(start, colon - start) + "/" + argv[0]);
      start = colon + 1;
    }
  }
  std::vector<std::string> env_strings = {std::string("PATH=") + kPath, "LANG=C", "LC_ALL=C"};
  for (const auto& [key, value] : options.env) env_strings.push_back(key + "=" + value);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> argvp;
  for (auto& s : args) argvp.push_back(s.data());
  argvp.push_back(nullptr);
  const std::string run_dir = root_ + "/run";
  const std::string sshd_dir = root_ + "/run/sshd";

  int in_pipe[2], out_pipe[2], err_pipe[2], status_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) || ::pipe2(out_pipe, O_CLOEXEC) || ::pipe2(err_pipe, O_CLOEXEC) ||
      ::pipe2(status_pipe, O_CLOEXEC))
    return Error{"pipe: " + errno_text(errno)};

  pid_t pid = ::fork();
  if (pid < 0) return Error{"fork: " + errno_text(errno)};
  if (pid == 0) {
    ::setpgid(0, 0);
    ::dup2(in_pipe[0], 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    if (chrooted) {
      int flags = CLONE_NEWNS | (options.isolate_network ? CLONE_NEWNET : 0);
      if (::unshare(flags) != 0) child_fail(status_pipe[1], "unshare (needs root)");
      if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
        child_fail(status_pipe[1], "mount --make-rprivate");
      // sshd refuses to run, even for -T, without its privilege-separation directory; a private
      // tmpfs on the tree's /run provides it without writing into the tree.
      if (::mount("tmpfs", run_dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") == 0)
        ::mkdir(sshd_dir.c_str(), 0755);
      if (::chroot(root_.c_str()) != 0) child_fail(status_pipe[1], "chroot");
      if (::chdir("/") != 0) child_fail(status_pipe[1], "chdir");
    }
    int last_errno = ENOENT;
    for (const auto& candidate : candidates) {
      ::execve(candidate.c_str(), argvp.data(), envp.data());
      if (errno != ENOENT && errno != ENOTDIR) last_errno = errno;
    }
    errno = last_errno;
    child_fail(status_pipe[1], "exec");
  }

  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  ::close(status_pipe[1]);

  CommandResult result;
  std::string status_msg;
  size_t input_off = 0;
  int in_fd = in_pipe[1];
  if (options.input.empty()) {
    ::close(in_fd);
    in_fd = -1;
  } else {
    ::fcntl(in_fd, F_SETFL, O_NONBLOCK);
  }
  int fds[3] = {out_pipe[0], err_pipe[0], status_pipe[0]};
  std::string* sinks[3] = {&result.out, &result.err, &status_msg};
  auto deadline = std::chrono::steady_clock::now() + options.timeout;
  signal(SIGPIPE, SIG_IGN);
  for (;;) {
    std::vector<pollfd> pfds;
    std::vector<int> which;
    for (int i = 0; i < 3; ++i)
      if (fds[i] >= 0) {
        pfds.push_back({fds[i], POLLIN, 0});
        which.push_back(i);
      }
    if (in_fd >= 0) {
      pfds.push_back({in_fd, POLLOUT, 0});
      which.push_back(3);
    }
    if (pfds.empty()) break;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
      break;
    }
    int n = ::poll(pfds.data(), pfds.size(), static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    for (size_t k = 0; k < pfds.size(); ++k) {
      if (!pfds[k].revents) continue;
      int idx = which[k];
      if (idx == 3) {
        ssize_t w = ::write(in_fd, options.input.data() + input_off, options.input.size() - input_off);
        if (w > 0) input_off += static_cast<size_t>(w);
        if (w < 0 || input_off >= options.input.size()) {
          ::close(in_fd);
          in_fd = -1;
        }
        continue;
      }
      char buf[16384];
      ssize_t r = ::read(fds[idx], buf, sizeof buf);
      if (r > 0) {
        sinks[idx]->append(buf, static_cast<size_t>(r));
        if (idx < 2 && options.on_output) options.on_output(std::string_view(buf, static_cast<size_t>(r)));
      } else if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
        ::close(fds[idx]);
        fds[idx] = -1;
      }
    }
  }
  for (int fd : fds)
    if (fd >= 0) ::close(fd);
  if (in_fd >= 0) ::close(in_fd);
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (!status_msg.empty()) return Error{argv[0] + ": " + status_msg};
  if (result.timed_out) {
    result.exit_code = -1;
    return result;
  }
  result.exit_code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
  return result;
}

// ---- http ------------------------------------------------------------------------------------

namespace {
size_t collect(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}
}  // namespace

Expected<HttpResponse> RealHttp::request(const HttpRequest& request) {
  static const bool initialised = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
  if (!initialised) return Error{"libcurl failed to initialise"};
  CURL* curl = curl_easy_init();
  if (!curl) return Error{"libcurl: cannot create a handle"};
  HttpResponse response;
  curl_slist* headers = nullptr;
  for (const auto& h : request.headers) headers = curl_slist_append(headers, h.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  if (request.method == "PUT" || request.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  // The metadata service must never be asked through a proxy from the environment.
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  CURLcode code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (code != CURLE_OK) return Error{std::string(curl_easy_strerror(code))};
  return response;
}

std::optional<std::string> RealEnvironment::get(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (!value) return std::nullopt;
  return std::string(value);
}

// ---- processes -------------------------------------------------------------------------------

int RealProcesses::self_pid() { return static_cast<int>(::getpid()); }

Expected<std::string> RealProcesses::self_exe() { return read_proc_link("self/exe"); }

Expected<std::string> RealProcesses::read_proc(const std::string& rel) {
  std::string path = "/proc/" + rel;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error{path + ": " + errno_text(errno)};
  Fd guard(fd);
  return read_all(fd, path);
}

Expected<std::vector<std::string>> RealProcesses::list_proc(const std::string& rel) {
  std::string path = "/proc/" + rel;
  DIR* dir = ::opendir(path.c_str());
  if (!dir) return Error{path + ": " + errno_text(errno)};
  std::vector<std::string> names;
  while (dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

Expected<std::string> RealProcesses::read_proc_link(const std::string& rel) {
  std::string path = "/proc/" + rel;
  char buf[4096];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  if (n < 0) return Error{path + ": " + errno_text(errno)};
  return std::string(buf, static_cast<size_t>(n));
}

Expected<int> RealProcesses::spawn_detached(const std::vector<std::string>& argv, const std::string& log_path) {
  if (argv.empty() || argv[0].empty() || argv[0][0] != '/') return Error{"spawn_detached needs an absolute program path"};
  std::vector<std::string> args = argv;
  std::vector<char*> argvp;
  for (auto& a : args) argvp.push_back(a.data());
  argvp.push_back(nullptr);
  std::vector<std::string> env_strings = {std::string("PATH=") + kPath, "LANG=C", "LC_ALL=C"};
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd < 0) return Error{log_path + ": " + errno_text(errno)};
  int pid_pipe[2];
  if (::pipe2(pid_pipe, O_CLOEXEC) != 0) {
    ::close(log_fd);
    return Error{"pipe: " + errno_text(errno)};
  }
  pid_t child = ::fork();
  if (child < 0) {
    ::close(log_fd);
    ::close(pid_pipe[0]);
    ::close(pid_pipe[1]);
    return Error{"fork: " + errno_text(errno)};
  }
  if (child == 0) {
    // A new session: no controlling terminal, so the user's SSH session ending sends no SIGHUP.
    ::setsid();
    pid_t grandchild = ::fork();
    if (grandchild != 0) {
      int value = grandchild < 0 ? -1 : static_cast<int>(grandchild);
      (void)!::write(pid_pipe[1], &value, sizeof value);
      _exit(0);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_DFL);
    int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    if (::chdir("/") != 0) _exit(127);
    // Nothing else of the caller's (its terminal, sockets, pipes) stays open in the detached process.
    ::close_range(3, ~0U, 0);
    ::execve(argvp[0], argvp.data(), envp.data());
    _exit(127);
  }
  ::close(log_fd);
  ::close(pid_pipe[1]);
  int value = -1;
  ssize_t n;
  do {
    n = ::read(pid_pipe[0], &value, sizeof value);
  } while (n < 0 && errno == EINTR);
  ::close(pid_pipe[0]);
  int wstatus = 0;
  while (::waitpid(child, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (n != sizeof value || value <= 0) return Error{"could not start a detached process"};
  return value;
}

Status RealProcesses::kill(int pid, int sig) {
  if (pid <= 1) return Error{"refusing to signal pid " + std::to_string(pid)};
  if (::kill(pid, sig) != 0) return Error{"kill " + std::to_string(pid) + ": " + errno_text(errno)};
  return ok_status();
}

bool RealProcesses::systemd_booted() {
  struct stat st {};
  return ::lstat("/run/systemd/system", &st) == 0 && S_ISDIR(st.st_mode);
}

RealHost::RealHost(const std::string& root)
    : files_(root), commands_(root), host_{files_, commands_, http_, clock_, env_, root, &processes_} {}

}  // namespace dh::host
