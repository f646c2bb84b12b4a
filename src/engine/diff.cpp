#include "engine/diff.h"

#include <algorithm>
#include <vector>

#include "util/strings.h"

namespace dh::engine {
namespace {

std::vector<std::string> lines_of(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) {
      out.emplace_back(std::string(text.substr(start)) + "\n\\ No newline at end of file");
      break;
    }
    out.emplace_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

struct Op {
  char kind;  // ' ', '-', '+'
  size_t a, b;  // line indexes (before, after)
};

}  // namespace

std::string unified_diff(std::string_view before, std::string_view after, const std::string& before_label,
                         const std::string& after_label, int context) {
  if (before == after) return "";
  auto a = lines_of(before);
  auto b = lines_of(after);
  const size_t n = a.size(), m = b.size();
  std::vector<std::vector<unsigned>> lcs(n + 1, std::vector<unsigned>(m + 1, 0));
  for (size_t i = n; i-- > 0;)
    for (size_t j = m; j-- > 0;)
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
  std::vector<Op> ops;
  size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] == b[j]) {
      ops.push_back({' ', i++, j++});
    } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
      ops.push_back({'-', i++, j});  // deletions first, as diff(1) prints them
    } else {
      ops.push_back({'+', i, j++});
    }
  }
  std::string out = "--- " + before_label + "\n+++ " + after_label + "\n";
  const size_t ctx = static_cast<size_t>(std::max(context, 0));
  size_t k = 0;
  while (k < ops.size()) {
    if (ops[k].kind == ' ') {
      ++k;
      continue;
    }
    // A hunk: from ctx lines before this change to ctx lines after the last change that is
    // within 2*ctx unchanged lines of the previous one.
    size_t start = k >= ctx ? k - ctx : 0;
    size_t end = k;
    size_t last_change = k;
    for (size_t x = k; x < ops.size(); ++x) {
      if (ops[x].kind != ' ') last_change = x;
      else if (x - last_change > 2 * ctx) break;
    }
    end = std::min(ops.size(), last_change + ctx + 1);
    size_t a_start = ops[start].a, b_start = ops[start].b, a_len = 0, b_len = 0;
    for (size_t x = start; x < end; ++x) {
      if (ops[x].kind != '+') ++a_len;
      if (ops[x].kind != '-') ++b_len;
    }
    out += "@@ -" + std::to_string(a_len ? a_start + 1 : a_start) + "," + std::to_string(a_len) + " +" +
           std::to_string(b_len ? b_start + 1 : b_start) + "," + std::to_string(b_len) + " @@\n";
    for (size_t x = start; x < end; ++x) {
      const std::string& line = ops[x].kind == '+' ? b[ops[x].b] : a[ops[x].a];
      out += ops[x].kind;
      out += line;
      out += "\n";
    }
    k = end;
  }
  return out;
}

}  // namespace dh::engine
