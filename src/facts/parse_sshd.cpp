// `sshd -T` output and the sshd_config walk.
#include <algorithm>
#include <cctype>
#include <optional>

#include "facts/parsers.h"
#include "util/strings.h"

namespace dh::facts {

std::optional<std::string> SshdEffective::get(std::string_view keyword) const {
  auto it = values.find(to_lower(keyword));
  if (it == values.end() || it->second.empty()) return std::nullopt;
  return it->second.front();
}

Expected<SshdEffective> parse_sshd_T(std::string_view text) {
  SshdEffective eff;
  for (std::string_view line : split_lines(text)) {
    line = trim(line);
    if (line.empty()) continue;
    std::size_t sp = line.find_first_of(" \t");
    std::string_view keyword = line.substr(0, sp);
    // sshd -T keywords are plain alphanumerics; anything else (a stray diagnostic line that
    // ended up on stdout) is not a setting and must not pose as one.
    if (!std::all_of(keyword.begin(), keyword.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; })) {
      continue;
    }
    std::string_view value =
        sp == std::string_view::npos ? std::string_view() : trim(line.substr(sp));
    eff.values[to_lower(keyword)].emplace_back(value);
  }
  if (eff.values.empty()) return Error{"sshd -T printed no settings"};
  return eff;
}

namespace {

constexpr std::string_view kSshDir = "/etc/ssh";
constexpr std::string_view kDropinDir = "/etc/ssh/sshd_config.d";
// sshd refuses deeper nesting (READCONF_MAX_DEPTH); a walk that goes further is a loop.
constexpr int kMaxIncludeDepth = 16;

struct ConfigLine {
  std::string keyword;  // lower-case
  std::string value;
};

// sshd's tokenizer: the keyword ends at a blank or '=', then blanks, one optional '=', blanks.
// A '#' that starts a token (outside double quotes) ends the line, as in OpenSSH >= 8.9.
std::optional<ConfigLine> split_config_line(std::string_view raw) {
  std::string_view line = trim(raw);
  if (line.empty() || line.front() == '#') return std::nullopt;
  std::size_t k = line.find_first_of(" \t=");
  std::string_view keyword = line.substr(0, k);
  std::string_view rest = k == std::string_view::npos ? std::string_view() : line.substr(k);
  std::size_t i = 0;
  while (i < rest.size() && (rest[i] == ' ' || rest[i] == '\t')) ++i;
  if (i < rest.size() && rest[i] == '=') ++i;
  rest = rest.substr(i);
  bool in_quote = false;
  for (std::size_t j = 0; j < rest.size(); ++j) {
    if (rest[j] == '"') in_quote = !in_quote;
    if (rest[j] == '#' && !in_quote && (j == 0 || rest[j - 1] == ' ' || rest[j - 1] == '\t')) {
      rest = rest.substr(0, j);
      break;
    }
  }
  return ConfigLine{to_lower(keyword), std::string(trim(rest))};
}

// Arguments as sshd's argv_split sees them: blank-separated, double quotes group.
std::vector<std::string> split_args(std::string_view s) {
  std::vector<std::string> args;
  std::string cur;
  bool in_quote = false, have = false;
  for (char c : s) {
    if (c == '"') {
      in_quote = !in_quote;
      have = true;
    } else if (!in_quote && (c == ' ' || c == '\t')) {
      if (have) args.push_back(cur);
      cur.clear();
      have = false;
    } else {
      cur.push_back(c);
      have = true;
    }
  }
  if (have) args.push_back(cur);
  return args;
}

bool has_wildcard(std::string_view s) { return s.find_first_of("*?[") != std::string_view::npos; }

// "Covering" means a drop-in we add under sshd_config.d would be read: the Include names that
// directory with a wildcard in the last component. An Include of one named drop-in does not.
bool covers_dropin_dir(std::string_view pattern) {
  std::size_t slash = pattern.rfind('/');
  if (slash == std::string_view::npos) return false;
  std::string_view dir = pattern.substr(0, slash);
  while (dir.size() > 1 && dir.back() == '/') dir.remove_suffix(1);
  return dir == kDropinDir && has_wildcard(pattern.substr(slash + 1));
}

std::vector<std::pair<std::string, std::string>> parse_criteria(std::string_view criteria) {
  std::vector<std::pair<std::string, std::string>> pairs;
  auto words = split_args(criteria);
  for (std::size_t i = 0; i < words.size(); ++i) {
    std::string name = to_lower(words[i]);
    // These criteria take no argument; every other one consumes the next word.
    if (name == "all" || name == "invalid-user") {
      pairs.emplace_back(name, "");
    } else if (i + 1 < words.size()) {
      pairs.emplace_back(name, words[i + 1]);
      ++i;
    } else {
      pairs.emplace_back(name, "");
    }
  }
  return pairs;
}

class Walker {
 public:
  explicit Walker(const ConfigSource& source) : source_(source) {}

  SshdConfigWalk run(const std::string& main_path) {
    out_.dropins_present = source_.glob(std::string(kDropinDir) + "/*.conf");
    std::sort(out_.dropins_present.begin(), out_.dropins_present.end());
    auto text = source_.read(main_path);
    if (!text) {
      out_.problems.push_back("cannot read " + main_path + ": " + text.error());
      return std::move(out_);
    }
    walk(main_path, *text, std::nullopt);
    return std::move(out_);
  }

 private:
  // `block` is the Match block in force where this file was included (sshd hands the includer's
  // Match state to the included file and restores it afterwards).
  void walk(const std::string& path, const std::string& text,
            const std::optional<std::size_t> enclosing) {
    std::optional<std::size_t> block = enclosing;
    out_.files_read.push_back(path);
    stack_.push_back(path);
    const bool is_main = stack_.size() == 1;
    int line_no = 0;
    for (std::string_view raw : split_lines(text)) {
      ++line_no;
      auto line = split_config_line(raw);
      if (!line) continue;
      if (line->keyword == "match") {
        SshdMatchBlock m;
        m.criteria = line->value;
        // A Match inside a file included from a Match block can only apply when the outer block
        // does too, so its pairs carry the outer criteria first (all pairs are ANDed).
        if (enclosing) m.criteria_pairs = out_.matches[*enclosing].criteria_pairs;
        for (auto& p : parse_criteria(line->value)) m.criteria_pairs.push_back(std::move(p));
        m.file = path;
        m.line = line_no;
        if (line->value.empty())
          out_.problems.push_back(path + ":" + std::to_string(line_no) +
                                  ": Match without criteria");
        out_.matches.push_back(std::move(m));
        block = out_.matches.size() - 1;
      } else if (line->keyword == "include") {
        const std::size_t before = out_.matches.size();
        include(path, line_no, line->value, block, is_main);
        // The included file opened Match blocks of its own; the includer's block resumes after
        // them. A continuation entry (same criteria, file and line) keeps `matches` in read
        // order, so concatenating the blocks' settings gives the order sshd reads them in.
        if (block && out_.matches.size() != before) {
          SshdMatchBlock cont = out_.matches[*block];
          cont.settings.clear();
          out_.matches.push_back(std::move(cont));
          block = out_.matches.size() - 1;
        }
      } else {
        SshdSetting s{line->keyword, line->value, path, line_no};
        if (block) {
          out_.matches[*block].settings.push_back(std::move(s));
        } else {
          out_.settings.push_back(std::move(s));
        }
      }
    }
    stack_.pop_back();
  }

  void include(const std::string& from, int line_no, std::string_view value,
               std::optional<std::size_t> block, bool is_main) {
    const std::string where = from + ":" + std::to_string(line_no);
    auto args = split_args(value);
    if (args.empty()) out_.problems.push_back(where + ": Include without a file name");
    for (const std::string& arg : args) {
      std::string pattern =
          (arg.front() == '/' || arg.front() == '~') ? arg : std::string(kSshDir) + "/" + arg;
      if (is_main && covers_dropin_dir(pattern)) {
        if (block) {
          out_.problems.push_back(where + ": the Include of " + pattern +
                                  " is inside a Match block, so drop-ins apply only there");
        } else {
          out_.main_includes_dropin_dir = true;
        }
      }
      std::vector<std::string> paths = source_.glob(pattern);
      std::sort(paths.begin(), paths.end());
      // sshd skips a pattern that matches nothing; a literal name that is missing is still worth
      // saying, since whoever wrote it expected it to be read.
      if (paths.empty() && !has_wildcard(pattern))
        out_.problems.push_back(where + ": included file " + pattern + " does not exist");
      for (const std::string& p : paths) {
        if (std::find(stack_.begin(), stack_.end(), p) != stack_.end()) {
          out_.problems.push_back(where + ": Include loop through " + p);
          continue;
        }
        if (static_cast<int>(stack_.size()) >= kMaxIncludeDepth) {
          out_.problems.push_back(where + ": Include nested too deeply at " + p);
          continue;
        }
        auto text = source_.read(p);
        if (!text) {
          out_.problems.push_back(where + ": cannot read included " + p + ": " + text.error());
          continue;
        }
        walk(p, *text, block);
      }
    }
  }

  const ConfigSource& source_;
  SshdConfigWalk out_;
  std::vector<std::string> stack_;
};

}  // namespace

SshdConfigWalk walk_sshd_config(const ConfigSource& source, const std::string& main_path) {
  return Walker(source).run(main_path);
}

}  // namespace dh::facts
