#include "cli/cli.h"

#include <algorithm>
#include <filesystem>
#include <iostream>

namespace dh::cli {
namespace {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t prev = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cur = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1)});
      prev = cur;
    }
  }
  return row[b.size()];
}

}  // namespace

const std::vector<Command>& command_table() {
  static const std::vector<Command> commands = {
      {"assess", "Report the box's security posture (runbook step 1); changes nothing", configure_assess},
      {"plan", "Show the changes harden would make, as diffs and commands; changes nothing", configure_plan},
      {"harden", "Apply the runbook's steps in order, with backups, gates and a dead-man timer", configure_harden},
      {"confirm", "Finish a waiting gate with proof that the new access path works", configure_confirm},
      {"rollback", "Undo a step's changes (or --last, --all) from the journal and backups", configure_rollback},
      {"status", "Show each runbook step: done, pending, waiting for a gate, rolled back", configure_status},
      {"deadman", "internal: the dead-man timer's rollback", configure_deadman},
  };
  return commands;
}

void add_root_option(CLI::App& sub, std::string& root) {
  sub.add_option("--root", root,
                 "Work on the tree under DIR (a chroot or a mounted image) instead of this machine")
      ->type_name("DIR")
      ->check(CLI::ExistingDirectory)
      ->each([&root](const std::string&) {
        root = std::filesystem::absolute(root).lexically_normal().string();
        while (root.size() > 1 && root.back() == '/') root.pop_back();
      });
}

int run(int argc, char** argv, Context& context) {
  CLI::App app{"devbox-harden: harden a Linux EC2 development box without locking yourself out.\n"
               "Start with `devbox-harden assess`; every command has --help.",
               "devbox-harden"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("devbox-harden ") + DEVBOX_HARDEN_VERSION);
  std::vector<std::pair<CLI::App*, Action>> actions;
  for (const auto& command : command_table()) {
    CLI::App* sub = app.add_subcommand(command.name, command.summary);
    actions.emplace_back(sub, command.configure(*sub));
  }

  // A typo gets a suggestion before CLI11's generic complaint.
  if (argc > 1 && argv[1][0] != '-') {
    std::string word = argv[1];
    const auto& table = command_table();
    bool known = std::any_of(table.begin(), table.end(), [&](const Command& c) { return word == c.name; });
    if (!known) {
      const Command* best = nullptr;
      size_t best_distance = 3;
      for (const auto& c : table) {
        size_t d = edit_distance(word, c.name);
        if (d < best_distance || (std::string(c.name).starts_with(word) && !word.empty())) {
          best_distance = std::min(d, best_distance);
          best = &c;
        }
      }
      context.err << "devbox-harden: unknown command '" << word << "'";
      if (best) context.err << "; did you mean '" << best->name << "'?";
      context.err << "\nRun `devbox-harden --help` for the list of commands.\n";
      return kExitUsage;
    }
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    context.out << app.help();
    return kExitOk;
  } catch (const CLI::CallForAllHelp& e) {
    context.out << app.help("", CLI::AppFormatMode::All);
    return kExitOk;
  } catch (const CLI::CallForVersion& e) {
    context.out << e.what() << "\n";
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    // Help for a subcommand arrives as CallForHelp thrown from it; everything else is misuse.
    context.err << "devbox-harden: " << e.what() << "\n";
    for (const auto& [sub, action] : actions)
      if (sub->parsed()) {
        context.err << "Run `devbox-harden " << sub->get_name() << " --help` for its options.\n";
        return kExitUsage;
      }
    context.err << "Run `devbox-harden --help` for the list of commands.\n";
    return kExitUsage;
  }
  for (auto& [sub, action] : actions)
    if (sub->parsed()) {
      try {
        return action(context);
      } catch (const UsageError& e) {
        context.err << "devbox-harden " << sub->get_name() << ": " << e.what() << "\n";
        return kExitUsage;
      }
    }
  return kExitUsage;
}

}  // namespace dh::cli
