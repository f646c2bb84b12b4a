#pragma once
// Changes as data. Each change has ONE check-and-apply path (mgmt's CheckApply): it reads the
// system, decides whether it is already right, and if not asks the Applier to make it right.
// The Applier is the only thing that differs between `plan` / `harden --dry-run` (DryRunApplier:
// records what it would do) and a real run (JournalingApplier: backs up, journals, applies), so
// the plan and the run cannot disagree. Undo is generic and driven by the journal.
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/journal.h"
#include "host/host.h"

namespace dh::engine {

struct FileState {
  bool exists = false;
  std::string content;
  mode_t mode = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};
// Missing file -> exists=false; any other failure (a directory, unreadable) -> error.
Expected<FileState> read_file_state(host::Files& files, const std::string& path);

class Applier {
 public:
  virtual ~Applier() = default;
  virtual bool dry_run() const = 0;
  virtual Status write_file(const std::string& path, const FileState& before, const std::string& content,
                            mode_t mode, uid_t uid, gid_t gid) = 0;
  virtual Status remove_file(const std::string& path, const FileState& before) = 0;
  // Runs argv; undo is run by a rollback (empty: nothing to undo).
  virtual Status run_command(const std::vector<std::string>& argv, const std::vector<std::string>& undo) = 0;
  // A line of progress (real run) or of the plan (dry run).
  virtual void note(const std::string& line) = 0;
  // How many mutations were made or would be made.
  int count() const { return count_; }

 protected:
  int count_ = 0;
};

class Change {
 public:
  virtual ~Change() = default;
  virtual std::string describe() const = 0;
  // true: already right, nothing done. false: the applier was asked to make it right.
  virtual Expected<bool> check_apply(host::Host& host, Applier& applier) = 0;
  // Re-reads the system after apply; an error says what differs.
  virtual Status verify(host::Host& host) = 0;
};

// A file with exact content. Mode and owner: as given, else kept from the existing file, else
// 0644 root:root. absent=true means "ensure the file does not exist".
class FileContent : public Change {
 public:
  FileContent(std::string path, std::string content, std::optional<mode_t> mode = std::nullopt)
      : path_(std::move(path)), content_(std::move(content)), mode_(mode) {}
  static std::unique_ptr<FileContent> absent(std::string path) {
    auto c = std::make_unique<FileContent>(std::move(path), "");
    c->absent_ = true;
    return c;
  }
  std::string describe() const override;
  Expected<bool> check_apply(host::Host& host, Applier& applier) override;
  Status verify(host::Host& host) override;
  const std::string& path() const { return path_; }
  const std::string& content() const { return content_; }

 private:
  std::string path_;
  std::string content_;
  std::optional<mode_t> mode_;
  bool absent_ = false;
};

// A command with a known undo; probe (exit 0 = already done) decides "already right".
class CommandChange : public Change {
 public:
  CommandChange(std::string what, std::vector<std::string> argv, std::vector<std::string> undo,
                std::vector<std::string> probe)
      : what_(std::move(what)), argv_(std::move(argv)), undo_(std::move(undo)), probe_(std::move(probe)) {}
  std::string describe() const override { return what_; }
  Expected<bool> check_apply(host::Host& host, Applier& applier) override;
  Status verify(host::Host& host) override;

 private:
  std::string what_;
  std::vector<std::string> argv_, undo_, probe_;
};

// A systemd unit enabled (and started) or disabled (and stopped).
std::unique_ptr<CommandChange> unit_enabled(const std::string& unit, bool enabled);

// Records what would be done; touches nothing. Prints diffs and argv to out.
class DryRunApplier : public Applier {
 public:
  explicit DryRunApplier(std::ostream& out, std::string indent = "    ") : out_(out), indent_(std::move(indent)) {}
  bool dry_run() const override { return true; }
  Status write_file(const std::string& path, const FileState& before, const std::string& content, mode_t mode,
                    uid_t uid, gid_t gid) override;
  Status remove_file(const std::string& path, const FileState& before) override;
  Status run_command(const std::vector<std::string>& argv, const std::vector<std::string>& undo) override;
  void note(const std::string& line) override;

 private:
  std::ostream& out_;
  std::string indent_;
};

// Backs up, journals (begin, apply, done) and applies, for one step.
class JournalingApplier : public Applier {
 public:
  JournalingApplier(Journal& journal, int step, std::ostream& out) : journal_(journal), step_(step), out_(out) {}
  bool dry_run() const override { return false; }
  Status write_file(const std::string& path, const FileState& before, const std::string& content, mode_t mode,
                    uid_t uid, gid_t gid) override;
  Status remove_file(const std::string& path, const FileState& before) override;
  Status run_command(const std::vector<std::string>& argv, const std::vector<std::string>& undo) override;
  void note(const std::string& line) override;

 private:
  Expected<int64_t> begin_file(const std::string& path, const FileState& before, const std::string& action);
  Status make_parents(const std::string& path);
  Journal& journal_;
  int step_;
  std::ostream& out_;
};

// Undoes one "begin" record: restores the file from its backup (content, mode, owner; or removes
// a file that did not exist) or runs the command's undo, then journals "undone". Idempotent.
Status undo_change(Journal& journal, const json& begin, std::ostream& out);

std::string argv_text(const std::vector<std::string>& argv);
std::string mode_text(mode_t mode);

}  // namespace dh::engine
