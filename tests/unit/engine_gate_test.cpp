#include <gtest/gtest.h>

#include "engine/diff.h"
#include "engine/gate.h"
#include "engine_test_support.h"
#include "facts/proc_conn.h"

namespace dh {
namespace {

using steps::GateKind;
using testing::FakeBox;

engine::ConnectionView view_of(FakeBox& box) {
  auto view = engine::read_connection_view(box.fake.processes);
  EXPECT_TRUE(view.ok()) << view.error();
  return view.ok() ? *view : engine::ConnectionView{};
}

TEST(GateProcConn, ParsesEstablishedRowsOnly) {
  auto rows = facts::parse_proc_net_established(
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
      "   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 555 1 0 100 0 0 10 0\n"
      "   1: 67666564:0016 02014064:C350 01 00000000:00000000 02:0009D5A1 00000000     0        0 777 4 0 20 4 30 10 -1\n");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].local, "100.101.102.103");
  EXPECT_EQ(rows[0].local_port, 22);
  EXPECT_EQ(rows[0].remote, "100.64.1.2");
  EXPECT_EQ(rows[0].remote_port, 50000);
  EXPECT_EQ(rows[0].inode, 777u);
  // tcp6: an IPv4-mapped address prints as IPv4; fd7a:115c:a1e0::1 as IPv6.
  auto six = facts::parse_proc_net_established(
      "   0: 0000000000000000FFFF00000A051FAC:0016 00000000000000000000000001000000:C350 01 0:0 0:0 0 0 0 42 1\n"
      "   1: 5C117AFD0000E0A10000000001000000:0016 5C117AFD0000E0A10000000002000000:C350 01 0:0 0:0 0 0 0 43 1\n");
  ASSERT_EQ(six.size(), 2u);
  EXPECT_EQ(six[0].local, "172.31.5.10");
  EXPECT_EQ(six[0].remote, "::1");
  EXPECT_EQ(six[1].local, "fd7a:115c:a1e0::1");
  EXPECT_EQ(six[1].remote, "fd7a:115c:a1e0::2");
}

TEST(GateProcConn, ParsesStatWithAwkwardComm) {
  auto st = facts::parse_proc_stat("77 (a (b) c) S 12 77 77 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 123456 1 2\n");
  ASSERT_TRUE(st);
  EXPECT_EQ(st->comm, "a (b) c");
  EXPECT_EQ(st->ppid, 12);
  EXPECT_EQ(st->start_ticks, 123456u);
  EXPECT_EQ(facts::parse_socket_link("socket:[99]"), 99u);
  EXPECT_FALSE(facts::parse_socket_link("pipe:[99]"));
}

TEST(GateProof, FindsTheSshdSessionAboveConfirm) {
  FakeBox box;
  box.add_ssh_session(testing::kBoxTailnet22, testing::kLaptopTailnet, 1'800'000'100);
  auto view = view_of(box);
  ASSERT_EQ(view.ancestors.size(), 6u);  // 4242 sudo bash sshd sshd init
  auto session = engine::find_ssh_session(view);
  ASSERT_TRUE(session);
  EXPECT_EQ(session->pid, 3800);
  EXPECT_EQ(session->connection.remote, "100.64.1.2");
  EXPECT_EQ(session->started, 1'800'000'100);
}

TEST(GateProof, TailnetConnectionToTheBoxTailscaleAddressIsAccepted) {
  FakeBox box;
  box.add_ssh_session(testing::kBoxTailnet22, testing::kLaptopTailnet, 1'800'000'100);
  auto proof = engine::judge_gate(GateKind::tailscale, view_of(box), 1'800'000'050, {"100.101.102.103"});
  EXPECT_TRUE(proof.ok) << proof.detail;
  EXPECT_NE(proof.detail.find("from 100.64.1.2:50000 to 100.101.102.103:22"), std::string::npos) << proof.detail;
}

TEST(GateProof, PublicAddressIsRefusedForTailscale) {
  FakeBox box;
  box.add_ssh_session(testing::kBoxPublic22, testing::kLaptopPublic, 1'800'000'100);
  auto proof = engine::judge_gate(GateKind::tailscale, view_of(box), 1'800'000'050, {"100.101.102.103"});
  EXPECT_FALSE(proof.ok);
  EXPECT_NE(proof.detail.find("203.0.113.7"), std::string::npos) << proof.detail;
  EXPECT_NE(proof.detail.find("not in the tailnet"), std::string::npos);
  // ...but it is a valid new connection for step 5's gate.
  EXPECT_TRUE(engine::judge_gate(GateKind::new_ssh, view_of(box), 1'800'000'050, {}).ok);
}

TEST(GateProof, TailnetClientToAnotherServerAddressIsRefused) {
  FakeBox box;
  box.add_ssh_session(testing::kBoxPublic22, testing::kLaptopTailnet, 1'800'000'100);
  auto proof = engine::judge_gate(GateKind::tailscale, view_of(box), 1'800'000'050, {"100.101.102.103"});
  EXPECT_FALSE(proof.ok);
  EXPECT_NE(proof.detail.find("not this box's Tailscale address"), std::string::npos) << proof.detail;
}

TEST(GateProof, AnOldSessionProvesNothing) {
  FakeBox box;
  box.add_ssh_session(testing::kBoxTailnet22, testing::kLaptopTailnet, 1'800'000'000);
  auto proof = engine::judge_gate(GateKind::new_ssh, view_of(box), 1'800'000'050, {});
  EXPECT_FALSE(proof.ok);
  EXPECT_NE(proof.detail.find("older than the change"), std::string::npos);
}

TEST(GateProof, SsmWorkerAncestorAcceptedSshRefused) {
  FakeBox box;
  box.add_ssh_session(testing::kBoxPublic22, testing::kLaptopPublic, 1'800'000'100);
  EXPECT_FALSE(engine::judge_gate(GateKind::ssm, view_of(box), 0, {}).ok);
  // Replace the sshd ancestors with the Session Manager worker.
  auto& p = box.fake.processes;
  p.proc["3800/stat"] = "3800 (ssm-session-wor) S 1 0 0 0 0 0 0 0 0 0 0 0 0 0 20 0 1 0 100 1 2\n";
  p.proc["3800/cmdline"] = std::string("/usr/bin/ssm-session-worker\0sess-1\0", 35);
  p.proc["3900/stat"] = "3900 (sh) S 3800 0 0 0 0 0 0 0 0 0 0 0 0 0 20 0 1 0 100 1 2\n";
  auto view = view_of(box);
  EXPECT_TRUE(engine::in_ssm_session(view));
  EXPECT_TRUE(engine::judge_gate(GateKind::ssm, view, 0, {}).ok);
  EXPECT_FALSE(engine::judge_gate(GateKind::new_ssh, view, 0, {}).ok);  // no sshd above any more
}

TEST(GateProof, NoSessionAtAllIsRefused) {
  engine::ConnectionView view;
  view.ancestors.push_back({4242, 1, "devbox-harden", "devbox-harden", "devbox-harden confirm", 0, {}});
  auto proof = engine::judge_gate(GateKind::new_ssh, view, 0, {});
  EXPECT_FALSE(proof.ok);
  EXPECT_NE(proof.detail.find("does not run in an SSH session"), std::string::npos);
}

TEST(GateConfirm, RefusesAnSshdSessionFromBeforeTheChange) {
  FakeBox box;
  box.add_ssh_session(testing::kBoxPublic22, testing::kLaptopPublic, box.now() - 600);  // the old session
  EXPECT_EQ(box.engine().harden(box.only5()), 4);
  box.out.str("");
  EXPECT_EQ(box.engine().confirm(), 1);
  EXPECT_NE(box.out.str().find("Not confirmed"), std::string::npos) << box.out.str();
  EXPECT_TRUE(box.fake.processes.killed.empty());
  EXPECT_TRUE(engine::open_gate(box.journal()));
}

TEST(EngineDiff, UnifiedDiffHunks) {
  EXPECT_EQ(engine::unified_diff("a\nb\nc\n", "a\nB\nc\n", "a/f", "b/f"),
            "--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n");
  EXPECT_EQ(engine::unified_diff("", "x\n", "/dev/null", "b/f"), "--- /dev/null\n+++ b/f\n@@ -0,0 +1,1 @@\n+x\n");
  EXPECT_EQ(engine::unified_diff("same\n", "same\n", "a", "b"), "");
}

}  // namespace
}  // namespace dh
