#include <arpa/inet.h>

#include <charconv>
#include <cstring>

#include "facts/proc_conn.h"
#include "util/strings.h"

namespace dh::facts {
namespace {

std::optional<uint32_t> hex32(std::string_view s) {
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// The kernel prints each 32-bit word in host byte order (little-endian on the machines we run on).
std::optional<std::string> decode(std::string_view hex) {
  if (hex.size() != 8 && hex.size() != 32) return std::nullopt;
  unsigned char bytes[16];
  for (size_t w = 0; w < hex.size() / 8; ++w) {
    auto word = hex32(hex.substr(w * 8, 8));
    if (!word) return std::nullopt;
    std::memcpy(bytes + w * 4, &*word, 4);
  }
  char buf[INET6_ADDRSTRLEN] = {};
  if (hex.size() == 8) {
    inet_ntop(AF_INET, bytes, buf, sizeof buf);
    return std::string(buf);
  }
  static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(bytes, kMapped, 12) == 0) {
    inet_ntop(AF_INET, bytes + 12, buf, sizeof buf);
    return std::string(buf);
  }
  inet_ntop(AF_INET6, bytes, buf, sizeof buf);
  return std::string(buf);
}

bool split_endpoint(std::string_view field, std::string& address, uint16_t& port) {
  auto colon = field.find(':');
  if (colon == std::string_view::npos) return false;
  auto a = decode(field.substr(0, colon));
  auto p = hex32(field.substr(colon + 1));
  if (!a || !p || *p > 0xffff) return false;
  address = *a;
  port = static_cast<uint16_t>(*p);
  return true;
}

}  // namespace

std::vector<TcpConnection> parse_proc_net_established(std::string_view text) {
  std::vector<TcpConnection> out;
  for (auto line : split_lines(text)) {
    auto f = split_ws(line);
    if (f.size() < 10 || !f[0].ends_with(':') || f[3] != "01") continue;
    TcpConnection c;
    if (!split_endpoint(f[1], c.local, c.local_port) || !split_endpoint(f[2], c.remote, c.remote_port)) continue;
    auto [p, ec] = std::from_chars(f[9].data(), f[9].data() + f[9].size(), c.inode);
    if (ec != std::errc() || p != f[9].data() + f[9].size()) continue;
    out.push_back(std::move(c));
  }
  return out;
}

std::optional<ProcStat> parse_proc_stat(std::string_view text) {
  auto open = text.find('(');
  auto close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return std::nullopt;
  ProcStat st;
  auto pid_text = trim(text.substr(0, open));
  auto [p, ec] = std::from_chars(pid_text.data(), pid_text.data() + pid_text.size(), st.pid);
  if (ec != std::errc()) return std::nullopt;
  st.comm = std::string(text.substr(open + 1, close - open - 1));
  auto rest = split_ws(text.substr(close + 1));
  // rest[0] is field 3 (state); field N is rest[N - 3].
  if (rest.size() < 20 || rest[0].empty()) return std::nullopt;
  st.state = rest[0][0];
  if (std::from_chars(rest[1].data(), rest[1].data() + rest[1].size(), st.ppid).ec != std::errc()) return std::nullopt;
  if (std::from_chars(rest[19].data(), rest[19].data() + rest[19].size(), st.start_ticks).ec != std::errc())
    return std::nullopt;
  return st;
}

std::optional<int64_t> parse_boot_time(std::string_view text) {
  for (auto line : split_lines(text)) {
    auto f = split_ws(line);
    if (f.size() == 2 && f[0] == "btime") {
      int64_t v = 0;
      if (std::from_chars(f[1].data(), f[1].data() + f[1].size(), v).ec == std::errc()) return v;
    }
  }
  return std::nullopt;
}

std::optional<uint64_t> parse_socket_link(std::string_view link) {
  if (!link.starts_with("socket:[") || !link.ends_with("]")) return std::nullopt;
  auto digits = link.substr(8, link.size() - 9);
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || p != digits.data() + digits.size()) return std::nullopt;
  return v;
}

}  // namespace dh::facts
