#include <gtest/gtest.h>

#include "engine_test_support.h"
#include "steps/preflight.h"

namespace dh {
namespace {

using testing::FakeBox;

TEST(StepsPreflight, PasswordDisableNeedsTheInvokingUsersKey) {
  FakeBox box;
  EXPECT_TRUE(steps::preflight_password_disable(box.host(), "alice").ok());
  EXPECT_FALSE(steps::preflight_password_disable(box.host(), "").ok());
  EXPECT_FALSE(steps::preflight_password_disable(box.host(), "root").ok());
  box.fake.files.files.erase("/home/alice/.ssh/authorized_keys");
  EXPECT_NE(steps::preflight_password_disable(box.host(), "alice").error().find("has no ~/.ssh/authorized_keys"),
            std::string::npos);
}

TEST(StepsPreflight, RootKeyRemovalNeedsAnotherSudoUserWithKeys) {
  FakeBox box;
  box.fake.files.add("/etc/group", "root:x:0:\nsudo:x:27:\nalice:x:1000:\n");
  auto r = steps::preflight_root_key_removal(box.host());
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.error().find("no other user is in group sudo"), std::string::npos);
  box.fake.files.add("/etc/group", "root:x:0:\nsudo:x:27:alice\nalice:x:1000:\n");
  r = steps::preflight_root_key_removal(box.host());
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(*r, "alice");
  box.fake.files.files["/home/alice/.ssh/authorized_keys"].content = "# no keys\n";
  EXPECT_NE(steps::preflight_root_key_removal(box.host()).error().find("no valid key line"), std::string::npos);
}

TEST(StepsPreflight, FirewallNeedsTailscaleUpAndTheTailscaleGateConfirmed) {
  FakeBox box;
  std::vector<engine::json> journal = {
      {{"event", "gate-open"}, {"step", 3}, {"gate", "tailscale"}, {"token", "t3"}, {"seq", 1}, {"time", 1}}};
  EXPECT_NE(steps::preflight_firewall(box.host(), journal).error().find("never confirmed"), std::string::npos);
  journal.push_back({{"event", "gate-confirmed"}, {"step", 3}, {"token", "t3"}, {"seq", 2}, {"time", 2}});
  EXPECT_NE(steps::preflight_firewall(box.host(), journal).error().find("no tailscale0"), std::string::npos);
  box.fake.commands.reply("ip -j addr show dev tailscale0",
                          R"([{"ifname":"tailscale0","flags":["POINTOPOINT","NOARP"],"addr_info":[]}])");
  EXPECT_NE(steps::preflight_firewall(box.host(), journal).error().find("tailscale0 is down"), std::string::npos);
  box.fake.commands.reply("ip -j addr show dev tailscale0",
                          R"([{"ifname":"tailscale0","flags":["POINTOPOINT","UP","LOWER_UP"],"addr_info":[]}])");
  EXPECT_NE(steps::preflight_firewall(box.host(), journal).error().find("no address"), std::string::npos);
  box.fake.commands.reply("ip -j addr show dev tailscale0",
                          R"([{"ifname":"tailscale0","flags":["POINTOPOINT","UP","LOWER_UP"],)"
                          R"("addr_info":[{"family":"inet","local":"100.101.102.103","prefixlen":32}]}])");
  EXPECT_TRUE(steps::preflight_firewall(box.host(), journal).ok());
}

}  // namespace
}  // namespace dh
