#pragma once
// Unified diffs for `plan` and `harden --dry-run`: small files, so a plain LCS table is enough.
#include <string>
#include <string_view>

namespace dh::engine {

// "" when the texts are equal. Labels go on the ---/+++ lines; context lines around each hunk.
std::string unified_diff(std::string_view before, std::string_view after, const std::string& before_label,
                         const std::string& after_label, int context = 3);

}  // namespace dh::engine
