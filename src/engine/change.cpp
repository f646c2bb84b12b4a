#include "engine/change.h"

#include <fmt/format.h>

#include <ostream>

#include "engine/diff.h"
#include "util/strings.h"

namespace dh::engine {

std::string argv_text(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    bool plain = !a.empty() && a.find_first_of(" \t'\"\\$*?;&|<>()") == std::string::npos;
    out += plain ? a : "'" + a + "'";
  }
  return out;
}

std::string mode_text(mode_t mode) { return fmt::format("{:04o}", static_cast<unsigned>(mode)); }

Expected<FileState> read_file_state(host::Files& files, const std::string& path) {
  auto info = files.stat(path);
  if (!info) {
    if (info.error().find("No such file") != std::string::npos) return FileState{};
    return Error{info.error()};
  }
  if (info->type != host::FileInfo::Type::regular) return Error{path + ": not a regular file"};
  auto content = files.read(path);
  if (!content) return Error{content.error()};
  return FileState{true, *content, info->mode, info->uid, info->gid};
}

// ---- FileContent -----------------------------------------------------------------------------

std::string FileContent::describe() const { return (absent_ ? "remove " : "write ") + path_; }

Expected<bool> FileContent::check_apply(host::Host& host, Applier& applier) {
  auto before = read_file_state(host.files, path_);
  if (!before) return Error{before.error()};
  if (absent_) {
    if (!before->exists) return true;
    if (auto s = applier.remove_file(path_, *before); !s) return Error{s.error()};
    return false;
  }
  mode_t mode = mode_ ? *mode_ : before->exists ? before->mode : 0644;
  uid_t uid = before->exists ? before->uid : 0;
  gid_t gid = before->exists ? before->gid : 0;
  if (before->exists && before->content == content_ && before->mode == mode) return true;
  if (auto s = applier.write_file(path_, *before, content_, mode, uid, gid); !s) return Error{s.error()};
  return false;
}

Status FileContent::verify(host::Host& host) {
  auto now = read_file_state(host.files, path_);
  if (!now) return Error{now.error()};
  if (absent_) return now->exists ? Status(Error{path_ + " still exists"}) : ok_status();
  if (!now->exists) return Error{path_ + " is missing after the write"};
  if (now->content != content_) return Error{path_ + " does not hold the content written"};
  if (mode_ && now->mode != *mode_) return Error{path_ + " has mode " + mode_text(now->mode)};
  return ok_status();
}

// ---- CommandChange ---------------------------------------------------------------------------

namespace {
Expected<bool> probe_ok(host::Host& host, const std::vector<std::string>& probe) {
  if (probe.empty()) return false;
  auto r = host.commands.run(probe, {});
  if (!r) return Error{r.error()};
  return r->exit_code == 0;
}
}  // namespace

Expected<bool> CommandChange::check_apply(host::Host& host, Applier& applier) {
  auto done = probe_ok(host, probe_);
  if (!done) return Error{done.error()};
  if (*done) return true;
  if (auto s = applier.run_command(argv_, undo_); !s) return Error{s.error()};
  return false;
}

Status CommandChange::verify(host::Host& host) {
  if (probe_.empty()) return ok_status();
  auto done = probe_ok(host, probe_);
  if (!done) return Error{done.error()};
  if (!*done) return Error{what_ + ": `" + argv_text(probe_) + "` still says it is not done"};
  return ok_status();
}

std::unique_ptr<CommandChange> unit_enabled(const std::string& unit, bool enabled) {
  std::vector<std::string> enable = {"systemctl", "enable", "--now", unit};
  std::vector<std::string> disable = {"systemctl", "disable", "--now", unit};
  std::vector<std::string> probe = enabled ? std::vector<std::string>{"systemctl", "is-enabled", "--quiet", unit}
                                           : std::vector<std::string>{};
  return std::make_unique<CommandChange>((enabled ? "enable " : "disable ") + unit, enabled ? enable : disable,
                                         enabled ? disable : enable, probe);
}

// ---- DryRunApplier ---------------------------------------------------------------------------

Status DryRunApplier::write_file(const std::string& path, const FileState& before, const std::string& content,
                                 mode_t mode, uid_t uid, gid_t gid) {
  ++count_;
  std::string diff = unified_diff(before.exists ? before.content : "", content,
                                  before.exists ? "a" + path : "/dev/null", "b" + path);
  out_ << indent_ << (before.exists ? "change " : "create ") << path << " (mode " << mode_text(mode) << ", owner "
       << uid << ":" << gid << ")\n";
  if (before.exists && before.mode != mode)
    out_ << indent_ << "  mode " << mode_text(before.mode) << " -> " << mode_text(mode) << "\n";
  for (auto line : split_lines(diff)) out_ << indent_ << "  " << line << "\n";
  return ok_status();
}

Status DryRunApplier::remove_file(const std::string& path, const FileState& before) {
  ++count_;
  out_ << indent_ << "remove " << path << "\n";
  // Named: split_lines returns views into it, which must outlive the loop.
  std::string diff = unified_diff(before.content, "", "a" + path, "/dev/null");
  for (auto line : split_lines(diff)) out_ << indent_ << "  " << line << "\n";
  return ok_status();
}

Status DryRunApplier::run_command(const std::vector<std::string>& argv, const std::vector<std::string>& undo) {
  ++count_;
  out_ << indent_ << "run: " << argv_text(argv) << "\n";
  if (!undo.empty()) out_ << indent_ << "  (undo: " << argv_text(undo) << ")\n";
  return ok_status();
}

void DryRunApplier::note(const std::string& line) { out_ << indent_ << line << "\n"; }

// ---- JournalingApplier -----------------------------------------------------------------------

Expected<int64_t> JournalingApplier::begin_file(const std::string& path, const FileState& before,
                                                const std::string& action) {
  int64_t seq = journal_.next_seq();
  json record = {{"event", "begin"}, {"step", step_}, {"kind", "file"}, {"action", action}, {"path", path},
                 {"existed", before.exists}};
  if (before.exists) {
    // The backup is on disk before the journal announces the change: a record always has one.
    std::string backup = journal_.backup_path(seq);
    if (auto s = journal_.host().files.write_atomic(backup, before.content, 0600, 0, 0); !s)
      return Error{"cannot back up " + path + ": " + s.error()};
    record["backup"] = backup;
    record["mode"] = before.mode;
    record["uid"] = before.uid;
    record["gid"] = before.gid;
    record["size"] = before.content.size();
  }
  auto appended = journal_.append(record);
  if (!appended) return Error{appended.error()};
  return *appended;
}

// Missing parent directories are changes too: journaled one by one (outermost first) so a
// rollback removes them again (innermost first) and leaves the tree exactly as it was.
Status JournalingApplier::make_parents(const std::string& path) {
  auto& files = journal_.host().files;
  std::vector<std::string> missing;
  for (auto parent = path.substr(0, path.find_last_of('/')); !parent.empty() && !files.exists(parent);
       parent = parent.substr(0, parent.find_last_of('/')))
    missing.push_back(parent);
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    auto seq = journal_.append({{"event", "begin"}, {"step", step_}, {"kind", "dir"}, {"path", *it}});
    if (!seq) return Error{seq.error()};
    out_ << "    create directory " << *it << "\n";
    if (auto s = files.make_dirs(*it, 0755); !s) return s;
    if (auto d = journal_.append({{"event", "done"}, {"of", *seq}, {"step", step_}}); !d) return Error{d.error()};
  }
  return ok_status();
}

Status JournalingApplier::write_file(const std::string& path, const FileState& before, const std::string& content,
                                     mode_t mode, uid_t uid, gid_t gid) {
  // Parents first: their records are older, so a rollback (newest first) empties them first.
  if (auto s = make_parents(path); !s) return s;
  auto seq = begin_file(path, before, "write");
  if (!seq) return Error{seq.error()};
  ++count_;
  out_ << "    " << (before.exists ? "change " : "create ") << path << " (mode " << mode_text(mode) << ")";
  if (before.exists) out_ << ", backup #" << *seq;
  out_ << "\n";
  if (auto s = journal_.host().files.write_atomic(path, content, mode, uid, gid); !s) return s;
  if (auto d = journal_.append({{"event", "done"}, {"of", *seq}, {"step", step_}}); !d) return Error{d.error()};
  return ok_status();
}

Status JournalingApplier::remove_file(const std::string& path, const FileState& before) {
  auto seq = begin_file(path, before, "remove");
  if (!seq) return Error{seq.error()};
  ++count_;
  out_ << "    remove " << path << ", backup #" << *seq << "\n";
  if (auto s = journal_.host().files.remove(path); !s) return s;
  if (auto d = journal_.append({{"event", "done"}, {"of", *seq}, {"step", step_}}); !d) return Error{d.error()};
  return ok_status();
}

Status JournalingApplier::run_command(const std::vector<std::string>& argv, const std::vector<std::string>& undo) {
  auto seq = journal_.append({{"event", "begin"}, {"step", step_}, {"kind", "command"}, {"argv", argv}, {"undo", undo}});
  if (!seq) return Error{seq.error()};
  ++count_;
  out_ << "    run: " << argv_text(argv) << "\n";
  host::RunOptions options;
  // Package installs over a slow mirror take minutes; their output is the progress.
  options.timeout = std::chrono::minutes(20);
  options.env["DEBIAN_FRONTEND"] = "noninteractive";
  std::string pending;
  options.on_output = [&](std::string_view chunk) {
    pending.append(chunk);
    for (size_t nl; (nl = pending.find('\n')) != std::string::npos; pending.erase(0, nl + 1))
      out_ << "      | " << std::string_view(pending).substr(0, nl) << "\n" << std::flush;
  };
  auto r = journal_.host().commands.run(argv, options);
  if (!pending.empty()) out_ << "      | " << pending << "\n";
  if (!r) return Error{r.error()};
  if (r->exit_code != 0)
    return Error{"`" + argv_text(argv) + "` failed (exit " + std::to_string(r->exit_code) + "): " +
                 std::string(trim(r->err.empty() ? r->out : r->err))};
  if (auto d = journal_.append({{"event", "done"}, {"of", *seq}, {"step", step_}}); !d) return Error{d.error()};
  return ok_status();
}

void JournalingApplier::note(const std::string& line) { out_ << "    " << line << "\n"; }

// ---- undo ------------------------------------------------------------------------------------

Status undo_change(Journal& journal, const json& begin, std::ostream& out) {
  auto& files = journal.host().files;
  int64_t seq = begin["seq"].get<int64_t>();
  std::string kind = begin.value("kind", "");
  if (kind == "file") {
    std::string path = begin.value("path", "");
    if (begin.value("existed", false)) {
      auto content = files.read(begin.value("backup", ""));
      if (!content) return Error{"backup #" + std::to_string(seq) + " of " + path + " is unreadable: " + content.error()};
      if (content->size() != begin.value("size", content->size()))
        return Error{"backup #" + std::to_string(seq) + " of " + path + " has the wrong size; not restoring"};
      mode_t mode = begin.value("mode", 0644u);
      uid_t uid = begin.value("uid", 0u);
      gid_t gid = begin.value("gid", 0u);
      auto now = read_file_state(files, path);
      bool same = now && now->exists && now->content == *content && now->mode == mode && now->uid == uid && now->gid == gid;
      if (!same) {
        if (auto s = files.write_atomic(path, *content, mode, uid, gid); !s) return s;
        out << "    restored " << path << " from backup #" << seq << " (mode " << mode_text(mode) << ", owner " << uid
            << ":" << gid << ")\n";
      }
    } else if (files.exists(path)) {
      if (auto s = files.remove(path); !s) return s;
      out << "    removed " << path << " (it did not exist before)\n";
    }
  } else if (kind == "dir") {
    std::string path = begin.value("path", "");
    if (files.exists(path)) {
      auto entries = files.list_dir(path);
      if (entries && !entries->empty())
        return Error{path + " was created by devbox-harden but is not empty now; not removing it"};
      if (auto s = files.remove(path); !s) return s;
      out << "    removed directory " << path << " (it did not exist before)\n";
    }
  } else if (kind == "command") {
    auto undo = begin.value("undo", std::vector<std::string>{});
    if (!undo.empty()) {
      host::RunOptions options;
      options.timeout = std::chrono::seconds(120);
      auto r = journal.host().commands.run(undo, options);
      if (!r) return Error{r.error()};
      if (r->exit_code != 0)
        return Error{"undo `" + argv_text(undo) + "` failed (exit " + std::to_string(r->exit_code) + ")"};
      out << "    ran undo: " << argv_text(undo) << "\n";
    }
  } else {
    return Error{"journal record #" + std::to_string(seq) + " has an unknown kind '" + kind + "'"};
  }
  auto r = journal.append({{"event", "undone"}, {"of", seq}, {"step", begin.value("step", 0)}});
  if (!r) return Error{r.error()};
  return ok_status();
}

}  // namespace dh::engine
