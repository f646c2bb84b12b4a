#!/usr/bin/env bash
# The network lab before any hardening, with real connections: proves each assertion the hardening
# labs will make can fail. A devbox namespace runs the Debian tree's sshd, ufw and fail2ban through
# chroot; a laptop reaches it only through a real WireGuard tunnel named tailscale0; an internet
# namespace reaches its public address. Then the runbook's ufw rules (step 4) close the public
# port while the tunnel keeps working, and fail2ban bans a password guesser (step 5).
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
source "$here/netlab.sh"
bin=$(readlink -f "${1:?usage: $0 PATH-TO-devbox-harden}")
lab_need_root
netlab_require_tools ip wg wireguard-go ssh ssh-keygen nsenter unshare python3
test_start=$(netlab_now)

host_before=$(netlab_host_fingerprint)

echo "== bring the lab up"
netlab_up "$bin"
echo "  netlab_up took ${NETLAB_UP_SECONDS}s"
pub=$NETLAB_PUBLIC_DEVBOX ts=$NETLAB_TS_DEVBOX

echo "== before hardening: the box is open to the world, as a fresh EC2 Debian is"
lab_expect "internet opens TCP 22 on the public address $pub" "$(tcp internet "$pub" 22)" open
lab_expect "laptop pings tailscale0 $ts through the tunnel" "$(ok netlab_ping laptop "$ts")" works
lab_expect "WireGuard UDP to 41641 arrives (fresh flow)" "$(ok netlab_udp_arrives)" works
lab_expect "key login from the laptop over the tunnel" \
  "$(netlab_ssh_key laptop "$ts" "$NETLAB_USER" 'id -un' 2>&1)" "$NETLAB_USER"
lab_expect "password login over the tunnel works (so 'password login fails' can fail)" \
  "$(netlab_ssh_password laptop "$ts" "$NETLAB_USER" "$NETLAB_USER_PASSWORD" 'echo password-ok' 2>&1)" password-ok
lab_expect "password login from the internet works" \
  "$(netlab_ssh_password internet "$pub" "$NETLAB_USER" "$NETLAB_USER_PASSWORD" 'echo password-ok' 2>&1)" password-ok
lab_expect "root key login works (so 'root login refused' can fail)" \
  "$(netlab_ssh_key laptop "$ts" root 'id -un' 2>&1)" root
lab_expect "root password login is already refused (stock PermitRootLogin prohibit-password)" \
  "$(ok netlab_ssh_password laptop "$ts" root "$NETLAB_ROOT_PASSWORD" true)" fails
lab_expect "tailscale ip -4 in the devbox" "$(netlab_devbox_exec tailscale ip -4)" "$ts"
lab_expect "tailscale status --json says Running" "$(netlab_devbox_exec tailscale status --json |
  python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["BackendState"], d["Self"]["TailscaleIPs"][0])')" "Running $ts"
lab_expect "tailscale up succeeds while tailscale0 is up" "$(ok netlab_devbox_exec tailscale up --ssh)" works
lab_expect "an unimplemented tailscale command fails" "$(ok netlab_devbox_exec tailscale logout)" fails
lab_expect_contains "ufw in the devbox" "$(netlab_devbox_exec ufw status)" "Status: inactive"
lab_expect "sshd wrote /run/sshd.pid (the reload handle without systemctl)" \
  "$(cat "$NETLAB_MERGED/run/sshd.pid")" "$NETLAB_SSHD_PID"

set +e
"$bin" assess --root "$NETLAB_MERGED" --json > "$NETLAB_TMP/root-before.json"
netlab_devbox_exec "$NETLAB_BIN_IN_TREE" assess --json > "$NETLAB_TMP/live-before.json" 2> "$NETLAB_TMP/live-before.err"
live_status=$?
set -e
lab_expect "assess --root: firewall.status" "$(lab_json "$NETLAB_TMP/root-before.json" firewall.status status)" concerning
lab_expect "assess live in the namespace exits 1 (concerning)" "$live_status" 1
lab_expect "assess live: firewall.status" "$(lab_json "$NETLAB_TMP/live-before.json" firewall.status status)" concerning
lab_expect "assess live: ssh.password_authentication" \
  "$(lab_json "$NETLAB_TMP/live-before.json" ssh.password_authentication status)" concerning
lab_expect_contains "assess live sees the namespace's sockets (wireguard-go on 41641)" \
  "$(lab_json "$NETLAB_TMP/live-before.json" net.listening evidence)" ":41641"

echo "== sshd reload without systemctl: SIGHUP through /run/sshd.pid"
printf 'PasswordAuthentication no\n' > "$NETLAB_MERGED/etc/ssh/sshd_config.d/00-lab.conf"
netlab_sshd_reload
lab_expect "after reload, password login is refused" \
  "$(ok netlab_ssh_password laptop "$ts" "$NETLAB_USER" "$NETLAB_USER_PASSWORD" true)" fails
lab_expect "after reload, key login still works" "$(ok netlab_ssh_key laptop "$ts" "$NETLAB_USER" true)" works
lab_expect "sshd kept its pid across the reload" "$(cat "$NETLAB_MERGED/run/sshd.pid")" "$NETLAB_SSHD_PID"
rm "$NETLAB_MERGED/etc/ssh/sshd_config.d/00-lab.conf"
netlab_sshd_reload
lab_expect "reverted: password login works again" \
  "$(ok netlab_ssh_password laptop "$ts" "$NETLAB_USER" "$NETLAB_USER_PASSWORD" true)" works

echo "== each of the runbook's ufw allow rules is needed (so the assertions below can fail)"
netlab_devbox_exec ufw default deny incoming > /dev/null
netlab_devbox_exec ufw --force enable > /dev/null
lab_expect "default deny alone: new WireGuard UDP is dropped" "$(ok netlab_udp_arrives)" fails
netlab_devbox_exec ufw allow 41641/udp > /dev/null
lab_expect "with 41641/udp allowed: new WireGuard UDP arrives" "$(ok netlab_udp_arrives)" works
lab_expect "without 'allow in on tailscale0': key login over the tunnel fails" \
  "$(ok netlab_ssh_key laptop "$ts" "$NETLAB_USER" true)" fails
netlab_devbox_exec ufw --force reset > /dev/null
lab_expect_contains "ufw reset leaves it inactive" "$(netlab_devbox_exec ufw status)" "Status: inactive"

echo "== the runbook's step 4 ufw rules, applied in the devbox chroot"
netlab_devbox_exec ufw default deny incoming > /dev/null
netlab_devbox_exec ufw default allow outgoing > /dev/null
netlab_devbox_exec ufw allow in on tailscale0 > /dev/null
netlab_devbox_exec ufw allow 41641/udp > /dev/null
netlab_devbox_exec ufw --force enable > /dev/null
lab_expect_contains "ufw status" "$(netlab_devbox_exec ufw status verbose)" "Status: active"
lab_expect "internet can NO LONGER open TCP 22 on $pub" "$(tcp internet "$pub" 22)" closed
lab_expect "the laptop cannot reach 22 on the underlay address either" "$(tcp laptop "$NETLAB_UNDERLAY_DEVBOX" 22)" closed
lab_expect "key login over the tunnel STILL works (new connection)" \
  "$(netlab_ssh_key laptop "$ts" "$NETLAB_USER" 'id -un' 2>&1)" "$NETLAB_USER"
lab_expect "WireGuard UDP to 41641 still arrives (fresh flow, not conntrack)" "$(ok netlab_udp_arrives)" works
set +e
"$bin" assess --root "$NETLAB_MERGED" --json > "$NETLAB_TMP/root-ufw.json"
netlab_devbox_exec "$NETLAB_BIN_IN_TREE" assess --json > "$NETLAB_TMP/live-ufw.json" 2> /dev/null
set -e
lab_expect "assess --root: firewall.status" "$(lab_json "$NETLAB_TMP/root-ufw.json" firewall.status status)" good
lab_expect "assess live: firewall.status" "$(lab_json "$NETLAB_TMP/live-ufw.json" firewall.status status)" good

echo "== ufw disable: the public port is back"
netlab_devbox_exec ufw disable > /dev/null
lab_expect "internet opens TCP 22 again" "$(tcp internet "$pub" 22)" open
lab_expect_contains "ufw status" "$(netlab_devbox_exec ufw status)" "Status: inactive"

echo "== fail2ban: Debian 12's stock sshd jail without /var/log/auth.log (runbook mistake 4)"
f2b_start=$(netlab_now)
netlab_syslog_stop
lab_expect "stock fail2ban does not start" "$(ok netlab_fail2ban_start)" fails
lab_expect_contains "and says why" "$(cat "$NETLAB_TMP/fail2ban.out")" "Have not found any log file for sshd jail"

echo "== fail2ban in the devbox chroot (file backend on auth.log; there is no journal)"
netlab_start_syslog
netlab_fail2ban_jail 3 600
netlab_fail2ban_start || { cat "$NETLAB_TMP/fail2ban.out"; exit 1; }
lab_expect "fail2ban sshd jail is running" "$(ok netlab_devbox_exec fail2ban-client status sshd)" works
for i in 1 2 3; do netlab_ssh_password internet "$pub" "$NETLAB_USER" "wrong-$i" true > /dev/null 2>&1 || true; done
for i in $(seq 1 30); do
  [ -n "$(netlab_fail2ban_banned)" ] && break
  sleep 0.2
done
lab_expect "the guesser is banned after 3 failed passwords" "$(netlab_fail2ban_banned)" "$NETLAB_PUBLIC_INTERNET"
lab_expect "the banned address cannot open TCP 22" "$(tcp internet "$pub" 22)" closed
lab_expect "key login over the tunnel is unaffected" "$(ok netlab_ssh_key laptop "$ts" "$NETLAB_USER" true)" works
netlab_fail2ban_stop
lab_expect "stopping fail2ban lifts the ban" "$(tcp internet "$pub" 22)" open
echo "  fail2ban section took $(netlab_elapsed "$f2b_start")s"

echo "== teardown leaves the host as it was"
lab_id=$NETLAB_ID
netlab_down
trap - EXIT
lab_expect "no namespace of this lab left" "$(ip netns list | grep -c "^${NETLAB_PREFIX}$lab_id-" || true)" 0
lab_expect "no mount of this lab left" "$(grep -c "/tmp/${NETLAB_PREFIX}$lab_id" /proc/self/mounts || true)" 0
lab_expect "host firewall, sysctls and interfaces unchanged" "$(netlab_host_fingerprint)" "$host_before"
echo "  timings: netlab_up ${NETLAB_UP_SECONDS}s, whole test $(netlab_elapsed "$test_start")s"
lab_finish
