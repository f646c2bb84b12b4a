#pragma once
// A command whose "already done?" is decided by reading state in C++ (a parsed status output, a
// configuration file) rather than by a probe command's exit code.
#include <functional>
#include <string>
#include <vector>

#include "engine/change.h"

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

}  // namespace dh::steps
