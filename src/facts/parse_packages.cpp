// /var/lib/dpkg/status and APT configuration.
#include <optional>

#include "facts/parsers.h"
#include "util/strings.h"

namespace dh::facts {

bool DpkgPackage::installed() const { return status.ends_with(" installed"); }

std::map<std::string, DpkgPackage> parse_dpkg_status(std::string_view text) {
  std::map<std::string, DpkgPackage> out;
  DpkgPackage cur;
  auto flush = [&] {
    if (!cur.name.empty()) {
      auto [it, inserted] = out.try_emplace(cur.name, cur);
      // Multi-Arch: same packages have one stanza per architecture; the question callers ask is
      // "is it installed at all", so an installed stanza wins over a removed one.
      if (!inserted && !it->second.installed() && cur.installed()) it->second = cur;
    }
    cur = DpkgPackage{};
  };
  for (std::string_view line : split_lines(text)) {
    if (trim(line).empty()) {
      flush();
      continue;
    }
    if (line.front() == ' ' || line.front() == '\t') continue;  // continuation of a long field
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view field = line.substr(0, colon);
    std::string value(trim(line.substr(colon + 1)));
    // dpkg compares field names case-insensitively.
    if (iequals(field, "Package")) {
      cur.name = std::move(value);
    } else if (iequals(field, "Status")) {
      cur.status = std::move(value);
    } else if (iequals(field, "Version")) {
      cur.version = std::move(value);
    }
  }
  flush();
  return out;
}

namespace {

enum class Tok { word, string, lbrace, rbrace, semi };
struct Token {
  Tok kind;
  std::string text;
};

// APT's rules: outside double quotes, "//" and "#" start a comment to the end of the line
// ("#clear" and "#include" are directives, which we skip whole), and /* */ spans lines.
std::vector<Token> apt_tokens(std::string_view s) {
  std::vector<Token> out;
  std::size_t i = 0;
  auto skip_to_eol = [&] {
    while (i < s.size() && s[i] != '\n') ++i;
  };
  while (i < s.size()) {
    char c = s[i];
    if (is_space(c)) {
      ++i;
    } else if (c == '/' && i + 1 < s.size() && s[i + 1] == '/') {
      skip_to_eol();
    } else if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      std::size_t end = s.find("*/", i + 2);
      i = end == std::string_view::npos ? s.size() : end + 2;
    } else if (c == '#') {
      // A directive runs to its ';' (or the end of the line if it has none).
      std::string_view rest = s.substr(i);
      if (rest.starts_with("#clear") || rest.starts_with("#include")) {
        std::size_t semi = s.find(';', i), nl = s.find('\n', i);
        std::size_t end = std::min(semi, nl);
        i = end == std::string_view::npos ? s.size() : end + 1;
      } else {
        skip_to_eol();
      }
    } else if (c == '"') {
      std::size_t end = s.find('"', i + 1);
      if (end == std::string_view::npos) end = s.size();
      out.push_back({Tok::string, std::string(s.substr(i + 1, end - i - 1))});
      i = end + 1;
    } else if (c == '{') {
      out.push_back({Tok::lbrace, "{"});
      ++i;
    } else if (c == '}') {
      out.push_back({Tok::rbrace, "}"});
      ++i;
    } else if (c == ';') {
      out.push_back({Tok::semi, ";"});
      ++i;
    } else {
      std::size_t start = i;
      while (i < s.size() && !is_space(s[i]) && s[i] != '{' && s[i] != '}' && s[i] != ';' &&
             s[i] != '"' &&
             !(s[i] == '/' && i + 1 < s.size() && (s[i + 1] == '/' || s[i + 1] == '*')) &&
             s[i] != '#')
        ++i;
      out.push_back({Tok::word, std::string(s.substr(start, i - start))});
    }
  }
  return out;
}

// APT keys are case-insensitive: a later "apt::periodic::x" must override "APT::Periodic::X".
std::map<std::string, std::string>::iterator find_icase(std::map<std::string, std::string>& m,
                                                        std::string_view key) {
  auto it = m.find(std::string(key));
  if (it != m.end()) return it;
  for (it = m.begin(); it != m.end(); ++it)
    if (iequals(it->first, key)) return it;
  return m.end();
}

void assign(std::map<std::string, std::string>& into, const std::string& key, std::string value) {
  auto it = find_icase(into, key);
  if (it == into.end()) {
    into.emplace(key, std::move(value));
  } else {
    it->second = std::move(value);
  }
}

std::string join_scope(const std::vector<std::string>& scope, std::string_view tag) {
  std::string key;
  for (const auto& s : scope) key += s + "::";
  key += tag;
  return key;
}

}  // namespace

void parse_apt_conf(std::string_view text, std::map<std::string, std::string>& into) {
  auto toks = apt_tokens(text);
  std::vector<std::string> scope;
  std::size_t i = 0;
  while (i < toks.size()) {
    // One statement: [tag] [value] then ';', '{' or '}'.
    std::optional<std::string> tag, value;
    if (toks[i].kind == Tok::word) tag = toks[i++].text;
    if (i < toks.size() && (toks[i].kind == Tok::string || (tag && toks[i].kind == Tok::word)))
      value = toks[i++].text;
    // Anything else before the terminator is malformed; APT would reject the file, we skip it.
    while (i < toks.size() && toks[i].kind != Tok::semi && toks[i].kind != Tok::lbrace &&
           toks[i].kind != Tok::rbrace)
      ++i;
    Tok term = i < toks.size() ? toks[i].kind : Tok::semi;
    if (i < toks.size()) ++i;

    if (tag) {
      if (value || term != Tok::lbrace) assign(into, join_scope(scope, *tag), value.value_or(""));
      if (term == Tok::lbrace) scope.push_back(*tag);
    } else if (value) {
      // A bare value inside a block is a list item (e.g. Unattended-Upgrade::Origins-Pattern);
      // APT appends those, so the items are kept newline-separated under "Scope::".
      std::string key = join_scope(scope, "");
      auto it = find_icase(into, key);
      if (it == into.end()) {
        into.emplace(key, *value);
      } else {
        it->second += "\n" + *value;
      }
    }
    if (term == Tok::rbrace && !scope.empty()) {
      scope.pop_back();
      if (i < toks.size() && toks[i].kind == Tok::semi) ++i;
    }
  }
}

std::optional<std::string> apt_conf_get(const std::map<std::string, std::string>& conf,
                                        std::string_view key) {
  auto it = conf.find(std::string(key));
  if (it != conf.end()) return it->second;
  for (const auto& [k, v] : conf)
    if (iequals(k, key)) return v;
  return std::nullopt;
}

}  // namespace dh::facts
