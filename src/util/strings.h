#pragma once
// Small string_view helpers shared by parsers and checks. Views returned point into the input.
#include <string>
#include <string_view>
#include <vector>

namespace dh {

// Strips leading and trailing ASCII whitespace (space, tab, CR, LF, VT, FF).
std::string_view trim(std::string_view s);
// Strips trailing ASCII whitespace only.
std::string_view trim_right(std::string_view s);
// Splits on runs of ASCII whitespace; no empty fields.
std::vector<std::string_view> split_ws(std::string_view s);
// Splits on every occurrence of sep; keeps empty fields ("a::b" -> {"a","","b"}).
std::vector<std::string_view> split(std::string_view s, char sep);
// Splits into lines on '\n', dropping a trailing '\r' from each; no final empty line.
std::vector<std::string_view> split_lines(std::string_view s);
// ASCII lower-casing.
std::string to_lower(std::string_view s);
// ASCII case-insensitive equality.
bool iequals(std::string_view a, std::string_view b);
// ASCII case-insensitive prefix test.
bool starts_with_icase(std::string_view s, std::string_view prefix);
// Parts separated by sep.
std::string join(const std::vector<std::string>& parts, std::string_view sep);
// True for the bytes trim() removes.
bool is_space(char c);

}  // namespace dh
