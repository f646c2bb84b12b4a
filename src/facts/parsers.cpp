// Shell-style KEY=value files: /etc/os-release, /etc/default/*, /etc/ufw/ufw.conf.
#include "facts/parsers.h"

#include <cctype>

#include "util/strings.h"

namespace dh::facts {
namespace {

bool valid_shell_name(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front()))) return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

// One shell word after '=': quotes are removed the way sh would, and the word ends at the first
// unquoted blank, so `KEY=value # note` yields "value". Multi-line quoted values are not needed
// by any file we read; an unterminated quote takes the rest of the line.
std::string shell_word(std::string_view s) {
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == ' ' || c == '\t') break;
    if (c == '\'') {
      std::size_t end = s.find('\'', i + 1);
      if (end == std::string_view::npos) end = s.size();
      out.append(s.substr(i + 1, end - i - 1));
      i = end + 1;
    } else if (c == '"') {
      ++i;
      while (i < s.size() && s[i] != '"') {
        if (s[i] == '\\' && i + 1 < s.size() &&
            (s[i + 1] == '"' || s[i + 1] == '\\' || s[i + 1] == '$' || s[i + 1] == '`')) {
          ++i;
        }
        out.push_back(s[i]);
        ++i;
      }
      ++i;
    } else if (c == '\\' && i + 1 < s.size()) {
      out.push_back(s[i + 1]);
      i += 2;
    } else {
      out.push_back(c);
      ++i;
    }
  }
  return out;
}

}  // namespace

std::map<std::string, std::string> parse_shell_vars(std::string_view text) {
  std::map<std::string, std::string> vars;
  for (std::string_view line : split_lines(text)) {
    line = trim(line);
    if (line.empty() || line.front() == '#') continue;
    if (line.starts_with("export ") || line.starts_with("export\t")) line = trim(line.substr(7));
    std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view name = line.substr(0, eq);
    if (!valid_shell_name(name)) continue;
    vars[std::string(name)] = shell_word(line.substr(eq + 1));
  }
  return vars;
}

OsRelease parse_os_release(std::string_view text) {
  auto vars = parse_shell_vars(text);
  auto get = [&](const char* key) {
    auto it = vars.find(key);
    return it == vars.end() ? std::string() : it->second;
  };
  return OsRelease{get("ID"), get("VERSION_ID"), get("VERSION_CODENAME"), get("PRETTY_NAME")};
}

}  // namespace dh::facts
