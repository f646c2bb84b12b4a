// `ufw status verbose`, `iptables -S`, `nft list ruleset`.
#include <cctype>
#include <charconv>
#include <optional>

#include "facts/parsers.h"
#include "util/strings.h"

namespace dh::facts {

Expected<UfwStatus> parse_ufw_status(std::string_view text) {
  UfwStatus st;
  bool saw_status = false, in_rules = false;
  for (std::string_view raw : split_lines(text)) {
    // ufw pads every column with %-26s, so rule lines carry trailing blanks.
    std::string_view line = trim_right(raw);
    if (in_rules) {
      if (!trim(line).empty()) st.rules.emplace_back(trim(line));
      continue;
    }
    if (line.starts_with("Status:")) {
      std::string_view v = trim(line.substr(7));
      if (v == "active") {
        st.active = true;
      } else if (v != "inactive") {
        return Error{"ufw status: unknown state \"" + std::string(v) + "\""};
      }
      saw_status = true;
    } else if (line.starts_with("Default:")) {
      // "Default: deny (incoming), allow (outgoing), disabled (routed)"
      for (std::string_view part : split(line.substr(8), ',')) {
        auto words = split_ws(part);
        if (words.size() != 2) continue;
        std::string policy(words[0]);
        if (words[1] == "(incoming)") {
          st.default_incoming = policy;
        } else if (words[1] == "(outgoing)") {
          st.default_outgoing = policy;
        } else if (words[1] == "(routed)") {
          st.default_routed = policy;
        }
      }
    } else if (saw_status && line.starts_with("--")) {
      in_rules = true;  // the dashes under "To  Action  From"
    }
  }
  if (!saw_status) return Error{"ufw status: no \"Status:\" line in the output"};
  return st;
}

IptablesRules parse_iptables_S(std::string_view text) {
  IptablesRules r;
  for (std::string_view raw : split_lines(text)) {
    std::string_view line = trim(raw);
    auto f = split_ws(line);
    if (f.size() >= 3 && f[0] == "-P") {
      r.policies[std::string(f[1])] = std::string(f[2]);
    } else if (f.size() >= 2 && f[0] == "-A") {
      r.rules.emplace_back(line);
    }
  }
  return r;
}

namespace {

// Named priorities from nft(8), "PRIORITY KEYWORDS": the bridge family has its own table.
std::optional<int> priority_keyword(std::string_view name, std::string_view family) {
  if (family == "bridge") {
    if (name == "dstnat") return -300;
    if (name == "filter") return -200;
    if (name == "out") return 100;
    if (name == "srcnat") return 300;
    return std::nullopt;
  }
  if (name == "raw") return -300;
  if (name == "mangle") return -150;
  if (name == "dstnat") return -100;
  if (name == "filter") return 0;
  if (name == "security") return 50;
  if (name == "srcnat") return 100;
  return std::nullopt;
}

// "0", "-150", "filter", "filter + 10", "mangle - 5" (spaces optional).
int parse_priority(std::string_view expr, std::string_view family) {
  std::string s;
  for (char c : expr)
    if (!is_space(c)) s.push_back(c);
  std::size_t i = 0;
  int base = 0;
  if (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) {
    while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
    base = priority_keyword(std::string_view(s).substr(0, i), family).value_or(0);
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
      int off = 0;
      std::from_chars(s.data() + i + 1, s.data() + s.size(), off);
      base += s[i] == '+' ? off : -off;
    }
    return base;
  }
  std::from_chars(s.data(), s.data() + s.size(), base);
  return base;
}

enum class NTok { word, nl, lbrace, rbrace, semi };
struct NToken {
  NTok kind;
  std::string text;
};

std::vector<NToken> nft_tokens(std::string_view s) {
  std::vector<NToken> out;
  std::size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == '\n') {
      out.push_back({NTok::nl, ""});
      ++i;
    } else if (is_space(c)) {
      ++i;
    } else if (c == '#') {
      while (i < s.size() && s[i] != '\n') ++i;
    } else if (c == '{' || c == '}' || c == ';') {
      out.push_back({c == '{' ? NTok::lbrace : c == '}' ? NTok::rbrace : NTok::semi, ""});
      ++i;
    } else if (c == '"') {
      std::size_t end = s.find('"', i + 1);
      if (end == std::string_view::npos) end = s.size();
      out.push_back({NTok::word, std::string(s.substr(i + 1, end - i - 1))});
      i = end + 1;
    } else {
      std::size_t start = i;
      while (i < s.size() && !is_space(s[i]) && s[i] != '{' && s[i] != '}' && s[i] != ';' &&
             s[i] != '"')
        ++i;
      out.push_back({NTok::word, std::string(s.substr(start, i - start))});
    }
  }
  return out;
}

}  // namespace

std::vector<NftInputChain> parse_nft_input_chains(std::string_view text) {
  enum class Kind { table, chain, other };
  struct Frame {
    Kind kind;
    NftInputChain chain;  // table frames fill family/table; chain frames everything
    bool input_hook = false;
  };
  std::vector<NftInputChain> out;
  std::vector<Frame> frames;
  std::vector<std::string> stmt;

  auto in_chain = [&] { return !frames.empty() && frames.back().kind == Kind::chain; };
  // Statements end at ';', a newline or a brace; only a base chain's "type ..." and "policy ..."
  // statements matter here, and nft prints both before any rule.
  auto end_statement = [&] {
    if (in_chain() && !stmt.empty()) {
      Frame& f = frames.back();
      if (stmt[0] == "type") {
        for (std::size_t k = 1; k + 1 < stmt.size(); ++k)
          if (stmt[k] == "hook") f.input_hook = stmt[k + 1] == "input";
        for (std::size_t k = 1; k < stmt.size(); ++k) {
          if (stmt[k] != "priority") continue;
          std::string expr;
          for (std::size_t m = k + 1; m < stmt.size(); ++m) expr += stmt[m];
          f.chain.priority = parse_priority(expr, f.chain.family);
        }
      } else if (stmt[0] == "policy" && stmt.size() >= 2) {
        f.chain.policy = stmt[1];
      }
    }
    stmt.clear();
  };

  for (const NToken& t : nft_tokens(text)) {
    switch (t.kind) {
      case NTok::word:
        stmt.push_back(t.text);
        break;
      case NTok::nl:
      case NTok::semi:
        end_statement();
        break;
      case NTok::lbrace: {
        Frame f{Kind::other, {}, false};
        if (!stmt.empty() && stmt[0] == "table" && stmt.size() >= 2) {
          f.kind = Kind::table;
          // "table NAME" without a family means the ip family.
          f.chain.family = stmt.size() >= 3 ? stmt[1] : "ip";
          f.chain.table = stmt.back();
        } else if (!stmt.empty() && stmt[0] == "chain" && stmt.size() >= 2 && !frames.empty() &&
                   frames.back().kind == Kind::table) {
          f.kind = Kind::chain;
          f.chain.family = frames.back().chain.family;
          f.chain.table = frames.back().chain.table;
          f.chain.chain = stmt[1];
        }
        stmt.clear();
        frames.push_back(std::move(f));
        break;
      }
      case NTok::rbrace:
        end_statement();
        if (frames.empty()) break;
        if (frames.back().kind == Kind::chain && frames.back().input_hook) {
          NftInputChain c = frames.back().chain;
          if (c.policy.empty()) c.policy = "accept";  // a base chain's default policy
          out.push_back(std::move(c));
        }
        frames.pop_back();
        break;
    }
  }
  return out;
}

}  // namespace dh::facts
