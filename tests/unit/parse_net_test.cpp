// /proc/net parsing and address scopes. The netns-sample fixtures were captured from a network
// namespace where test sockets listened on the addresses a devbox has (see tests/data/README.md);
// `ss -lntu` in that namespace listed exactly the sockets expected below.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "facts/parsers.h"
#include "unit/test_data.h"

namespace dh::facts {
namespace {

std::string slurp(const std::string& rel) { return testing::test_data(rel); }

using Listener = std::tuple<std::string, uint16_t>;

std::vector<Listener> listeners(const std::vector<Socket>& sockets) {
  std::vector<Listener> out;
  for (const auto& s : sockets) out.emplace_back(s.address, s.port);
  std::sort(out.begin(), out.end());
  return out;
}

struct ProcNetCase {
  const char* fixture;
  const char* proto;
  std::vector<Listener> expected;
};

class ParseProcNetFixtures : public ::testing::TestWithParam<ProcNetCase> {};

TEST_P(ParseProcNetFixtures, ListenersMatchWhatSsShowed) {
  const auto& c = GetParam();
  auto sockets = parse_proc_net(slurp(c.fixture), c.proto);
  auto want = c.expected;
  std::sort(want.begin(), want.end());
  EXPECT_EQ(listeners(sockets), want);
  for (const auto& s : sockets) {
    EXPECT_EQ(s.proto, c.proto);
    EXPECT_GT(s.inode, 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Samples, ParseProcNetFixtures,
    ::testing::Values(
        // The two ESTABLISHED rows (state 01) of a loopback connection are not listeners.
        ProcNetCase{
            "proc-net/tcp-netns-sample.txt",
            "tcp",
            {{"100.101.102.103", 8080}, {"127.0.0.1", 5432}, {"127.0.0.53", 53}, {"0.0.0.0", 22}}},
        ProcNetCase{"proc-net/tcp6-netns-sample.txt",
                    "tcp6",
                    {{"::1", 631},
                     {"fd7a:115c:a1e0::1", 3000},
                     {"::", 8443},
                     {"::ffff:127.0.0.1", 6379},
                     {"::", 22}}},
        // A connected UDP socket (state 01) is not a listener; bound unconnected ones (07) are.
        ProcNetCase{"proc-net/udp-netns-sample.txt",
                    "udp",
                    {{"127.0.0.53", 53}, {"0.0.0.0", 68}, {"100.101.102.103", 41641}}},
        ProcNetCase{"proc-net/udp6-netns-sample.txt",
                    "udp6",
                    {{"::1", 323}, {"fd7a:115c:a1e0::1", 5353}, {"::", 41641}}},
        ProcNetCase{"proc-net/tcp-host-sample.txt", "tcp", {{"0.0.0.0", 2024}}},
        ProcNetCase{"proc-net/tcp6-host-empty.txt", "tcp6", {}}));

TEST(ParseProcNet, InodeAndPortComeFromTheRightColumns) {
  auto sockets = parse_proc_net(slurp("proc-net/tcp-netns-sample.txt"), "tcp");
  auto it = std::find_if(sockets.begin(), sockets.end(),
                         [](const Socket& s) { return s.address == "100.101.102.103"; });
  ASSERT_NE(it, sockets.end());
  EXPECT_EQ(it->port, 8080);
  EXPECT_EQ(it->inode, 37666u);
}

TEST(ParseProcNet, UdpStateIsNotTcpListen) {
  // The same row is a listener for udp (07) but not for tcp, where 07 means CLOSE.
  const std::string row =
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout "
      "inode\n"
      " 7289: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 "
      "37675 2 00000000ae28611e 0\n";
  EXPECT_EQ(parse_proc_net(row, "udp").size(), 1u);
  EXPECT_TRUE(parse_proc_net(row, "tcp").empty());
}

TEST(ParseProcNet, MalformedRowsAndUnknownProtoAreSkipped) {
  const std::string text =
      "  sl  local_address rem_address   st\n"
      "   0: 0100007F:0016\n"                                     // too few columns
      "   1: 0100007G:0016 00000000:0000 0A 0:0 0:0 0 0 0 1\n"    // bad hex
      "   2: 0100007F 00000000:0000 0A 0:0 0:0 0 0 0 1\n"         // no port
      "   3: 0100007F:0016 00000000:0000 0A 0:0 0:0 0 0 0 77\n";  // good
  auto sockets = parse_proc_net(text, "tcp");
  ASSERT_EQ(sockets.size(), 1u);
  EXPECT_EQ(sockets[0].address, "127.0.0.1");
  EXPECT_EQ(sockets[0].port, 22);
  EXPECT_EQ(sockets[0].inode, 77u);
  EXPECT_TRUE(parse_proc_net(text, "raw").empty());
  EXPECT_TRUE(parse_proc_net("", "tcp").empty());
}

// ---- classify_address ------------------------------------------------------------------------

struct ScopeCase {
  const char* address;
  AddressScope scope;
};

class ClassifyAddress : public ::testing::TestWithParam<ScopeCase> {};

TEST_P(ClassifyAddress, Scope) {
  EXPECT_EQ(classify_address(GetParam().address), GetParam().scope) << GetParam().address;
}

INSTANTIATE_TEST_SUITE_P(
    Table, ClassifyAddress,
    ::testing::Values(
        ScopeCase{"0.0.0.0", AddressScope::wildcard}, ScopeCase{"::", AddressScope::wildcard},
        ScopeCase{"*", AddressScope::wildcard}, ScopeCase{"[::]", AddressScope::wildcard},
        ScopeCase{"127.0.0.1", AddressScope::loopback},
        ScopeCase{"127.0.0.53", AddressScope::loopback},
        ScopeCase{"127.255.255.254", AddressScope::loopback},
        ScopeCase{"::1", AddressScope::loopback}, ScopeCase{"[::1]", AddressScope::loopback},
        ScopeCase{"::ffff:127.0.0.1", AddressScope::loopback},
        ScopeCase{"100.101.102.103", AddressScope::tailnet},
        ScopeCase{"100.64.0.0", AddressScope::tailnet},
        ScopeCase{"100.127.255.255", AddressScope::tailnet},
        ScopeCase{"::ffff:100.101.102.103", AddressScope::tailnet},
        ScopeCase{"fd7a:115c:a1e0::1", AddressScope::tailnet},
        ScopeCase{"fd7a:115c:a1e0:ab12:4843:cd96:6265:6667", AddressScope::tailnet},
        // Just outside the ranges.
        ScopeCase{"100.63.255.255", AddressScope::other},
        ScopeCase{"100.128.0.0", AddressScope::other},
        ScopeCase{"fd7a:115c:a1e1::1", AddressScope::other},
        ScopeCase{"128.0.0.1", AddressScope::other}, ScopeCase{"::2", AddressScope::other},
        ScopeCase{"172.31.5.17", AddressScope::other},
        ScopeCase{"fe80::1%eth0", AddressScope::other},
        ScopeCase{"2600:1f18::1", AddressScope::other}, ScopeCase{"", AddressScope::other},
        ScopeCase{"localhost", AddressScope::other}, ScopeCase{"300.1.1.1", AddressScope::other}));

TEST(ClassifyAddressRoundTrip, EveryParsedListenerClassifies) {
  // The printed addresses parse_proc_net produces must be understood by classify_address.
  auto v6 = parse_proc_net(slurp("proc-net/tcp6-netns-sample.txt"), "tcp6");
  auto v4 = parse_proc_net(slurp("proc-net/tcp-netns-sample.txt"), "tcp");
  int wildcard = 0, loopback = 0, tailnet = 0;
  for (const auto& list : {v4, v6}) {
    for (const auto& s : list) {
      switch (classify_address(s.address)) {
        case AddressScope::wildcard:
          ++wildcard;
          break;
        case AddressScope::loopback:
          ++loopback;
          break;
        case AddressScope::tailnet:
          ++tailnet;
          break;
        case AddressScope::other:
          ADD_FAILURE() << s.address;
          break;
      }
    }
  }
  EXPECT_EQ(wildcard, 3);  // 0.0.0.0:22, [::]:22, [::]:8443
  EXPECT_EQ(loopback, 4);  // 127.0.0.1, 127.0.0.53, ::1, ::ffff:127.0.0.1
  EXPECT_EQ(tailnet, 2);   // 100.101.102.103, fd7a:115c:a1e0::1
}

}  // namespace
}  // namespace dh::facts
