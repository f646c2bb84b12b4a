#pragma once
// A command whose "already done?" is decided by reading state in C++ (a parsed status output, a
// configuration file) rather than by a probe command's exit code.
#include <functional>
#include <string>
#include <vector>

#include "engine/change.h"
#include "util/strings.h"

namespace dh::steps {

class ProbedCommand : public engine::Change {
 public:
  using Probe = std::function<Expected<bool>(host::Host&)>;
  ProbedCommand(std::string what, Probe done, std::vector<std::string> argv, std::vector<std::string> undo)
      : what_(std::move(what)), done_(std::move(done)), argv_(std::move(argv)), undo_(std::move(undo)) {}
  std::string describe() const override { return what_; }
  Expected<bool> check_apply(host::Host& host, engine::Applier& applier) override {
    auto done = done_(host);
    if (!done) return Error{what_ + ": " + done.error()};
    if (*done) return true;
    if (auto s = applier.run_command(argv_, undo_); !s) return Error{s.error()};
    return false;
  }
  Status verify(host::Host& host) override {
    auto done = done_(host);
    if (!done) return Error{what_ + ": " + done.error()};
    if (!*done) return Error{what_ + ": still not done after `" + engine::argv_text(argv_) + "`"};
    return ok_status();
  }

 private:
  std::string what_;
  Probe done_;
  std::vector<std::string> argv_, undo_;
};

// Files a tool rewrites in its own format when its commands are undone (ufw's user.rules): their
// bytes are backed up before the step's commands run, and the rollback, which undoes newest first,
// restores them last, so the tree comes back byte for byte. Nothing to do once `settled` says the
// step has nothing left to change.
class KeepOriginalBytes : public engine::Change {
 public:
  KeepOriginalBytes(std::vector<std::string> paths, ProbedCommand::Probe settled)
      : paths_(std::move(paths)), settled_(std::move(settled)) {}
  std::string describe() const override { return "back up the bytes of " + join(paths_, ", "); }
  Expected<bool> check_apply(host::Host& host, engine::Applier& applier) override {
    auto settled = settled_(host);
    if (!settled) return Error{settled.error()};
    if (*settled) return true;
    if (applier.dry_run()) {
      applier.note("(backed up for a byte-exact rollback: " + join(paths_, ", ") + ")");
      return true;
    }
    for (const auto& path : paths_) {
      auto before = engine::read_file_state(host.files, path);
      if (!before) return Error{before.error()};
      if (!before->exists) continue;
      // Rewriting the same bytes journals a backup that a rollback restores.
      if (auto s = applier.write_file(path, *before, before->content, before->mode, before->uid, before->gid); !s)
        return Error{s.error()};
    }
    return false;
  }
  Status verify(host::Host&) override { return ok_status(); }

 private:
  std::vector<std::string> paths_;
  ProbedCommand::Probe settled_;
};

}  // namespace dh::steps
