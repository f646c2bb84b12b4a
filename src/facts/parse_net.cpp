// /proc/net/{tcp,tcp6,udp,udp6} and address scopes.
#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>

#include "facts/parsers.h"
#include "util/strings.h"

namespace dh::facts {
namespace {

template <class T>
std::optional<T> parse_hex(std::string_view s) {
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// The kernel prints each 32-bit word of the address with %08X as the CPU holds it. Every EC2
// CPU (x86_64, arm64) is little-endian, so the first octet is the word's low byte; decoding
// does not depend on the machine that runs the parser.
std::optional<std::string> decode_address(std::string_view hex) {
  if (hex.size() != 8 && hex.size() != 32) return std::nullopt;
  std::array<unsigned char, 16> bytes{};
  for (std::size_t w = 0; w < hex.size() / 8; ++w) {
    auto word = parse_hex<uint32_t>(hex.substr(w * 8, 8));
    if (!word) return std::nullopt;
    for (int b = 0; b < 4; ++b) bytes[w * 4 + b] = static_cast<unsigned char>(*word >> (8 * b));
  }
  char buf[INET6_ADDRSTRLEN];
  if (!inet_ntop(hex.size() == 8 ? AF_INET : AF_INET6, bytes.data(), buf, sizeof buf))
    return std::nullopt;
  return std::string(buf);
}

}  // namespace

std::vector<Socket> parse_proc_net(std::string_view text, std::string_view proto) {
  std::vector<Socket> out;
  std::string_view listen_state;
  if (proto.starts_with("tcp")) {
    listen_state = "0A";
  } else if (proto.starts_with("udp")) {
    listen_state = "07";
  } else {
    return out;
  }
  for (std::string_view line : split_lines(text)) {
    auto f = split_ws(line);
    // sl local remote st tx:rx tr:when retrnsmt uid timeout inode ...; the header has no "N:".
    if (f.size() < 10 || !f[0].ends_with(':') || f[3] != listen_state) continue;
    std::size_t colon = f[1].find(':');
    if (colon == std::string_view::npos) continue;
    auto address = decode_address(f[1].substr(0, colon));
    auto port = parse_hex<uint16_t>(f[1].substr(colon + 1));
    uint64_t inode = 0;
    auto [p, ec] = std::from_chars(f[9].data(), f[9].data() + f[9].size(), inode);
    if (!address || !port || ec != std::errc() || p != f[9].data() + f[9].size()) continue;
    out.push_back(Socket{std::string(proto), *address, *port, inode});
  }
  return out;
}

AddressScope classify_address(std::string_view address) {
  std::string a(trim(address));
  // Accept the spellings ss(8) and URLs use: "[::1]", "fe80::1%eth0", and "*" for any address.
  if (a.size() >= 2 && a.front() == '[' && a.back() == ']') a = a.substr(1, a.size() - 2);
  if (auto pct = a.find('%'); pct != std::string::npos) a.resize(pct);
  if (a == "*") return AddressScope::wildcard;

  auto classify_v4 = [](const unsigned char* o) {
    if (o[0] == 127) return AddressScope::loopback;
    if (o[0] == 100 && (o[1] & 0xC0) == 64) return AddressScope::tailnet;  // 100.64.0.0/10
    if (o[0] == 0 && o[1] == 0 && o[2] == 0 && o[3] == 0) return AddressScope::wildcard;
    return AddressScope::other;
  };

  unsigned char buf[16];
  if (inet_pton(AF_INET, a.c_str(), buf) == 1) return classify_v4(buf);
  if (inet_pton(AF_INET6, a.c_str(), buf) != 1) return AddressScope::other;

  static const unsigned char kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(buf, buf + 12, kMappedPrefix)) return classify_v4(buf + 12);
  static const unsigned char kTailnet48[6] = {0xfd, 0x7a, 0x11, 0x5c, 0xa1, 0xe0};
  if (std::equal(buf, buf + 6, kTailnet48)) return AddressScope::tailnet;
  bool zero15 = std::all_of(buf, buf + 15, [](unsigned char c) { return c == 0; });
  if (zero15 && buf[15] == 1) return AddressScope::loopback;
  if (zero15 && buf[15] == 0) return AddressScope::wildcard;
  return AddressScope::other;
}

}  // namespace dh::facts
