// /etc/passwd, /etc/shadow, /etc/group.
#include <charconv>
#include <optional>

#include "facts/parsers.h"
#include "util/strings.h"

namespace dh::facts {
namespace {

std::optional<uint32_t> parse_id(std::string_view s) {
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// Lines of one of these databases as fields; comments and NIS "+"/"-" compat entries are not
// local accounts, so they are left out.
std::vector<std::vector<std::string_view>> records(std::string_view text, std::size_t min_fields) {
  std::vector<std::vector<std::string_view>> out;
  for (std::string_view line : split_lines(text)) {
    if (trim(line).empty()) continue;
    char first = line.front();
    if (first == '#' || first == '+' || first == '-') continue;
    auto f = split(line, ':');
    if (f.size() < min_fields || f[0].empty()) continue;
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace

std::vector<PasswdEntry> parse_passwd(std::string_view text) {
  std::vector<PasswdEntry> out;
  for (auto& f : records(text, 7)) {
    auto uid = parse_id(f[2]);
    auto gid = parse_id(f[3]);
    if (!uid || !gid) continue;
    out.push_back(
        PasswdEntry{std::string(f[0]), *uid, *gid, std::string(f[5]), std::string(trim(f[6]))});
  }
  return out;
}

bool is_login_shell(std::string_view shell) {
  shell = trim(shell);
  if (shell.empty()) return true;
  std::size_t slash = shell.rfind('/');
  std::string_view base = slash == std::string_view::npos ? shell : shell.substr(slash + 1);
  return !(base == "nologin" || base == "false" || base == "sync");
}

std::vector<ShadowEntry> parse_shadow(std::string_view text) {
  std::vector<ShadowEntry> out;
  for (auto& f : records(text, 2)) out.push_back(ShadowEntry{std::string(f[0]), std::string(f[1])});
  return out;
}

std::vector<GroupEntry> parse_group(std::string_view text) {
  std::vector<GroupEntry> out;
  for (auto& f : records(text, 3)) {
    auto gid = parse_id(f[2]);
    if (!gid) continue;
    GroupEntry g{std::string(f[0]), *gid, {}};
    if (f.size() >= 4)
      for (std::string_view m : split(trim(f[3]), ','))
        if (!trim(m).empty()) g.members.emplace_back(trim(m));
    out.push_back(std::move(g));
  }
  return out;
}

}  // namespace dh::facts
