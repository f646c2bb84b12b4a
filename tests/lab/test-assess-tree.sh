#!/usr/bin/env bash
# `assess --root` on a real Debian 12 tree (debootstrap, openssh-server installed): the real sshd
# decides the effective configuration through chroot, and the tree is never written.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
bin=$(readlink -f "${1:?usage: $0 PATH-TO-devbox-harden}")
lab_need_root
tree=$("$here/make-tree.sh")
tmp=$(mktemp -d /tmp/devbox-assess-tree.XXXXXX)
cleanup() {
  umount "$tmp/ro" 2>/dev/null || true
  umount "$tmp/merged" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
lab_overlay "$tree" "$tmp"
root="$tmp/merged"

echo "== the sshd first-value pitfall: 50-cloud-init.conf says yes, 99-hardening.conf says no"
printf 'PasswordAuthentication yes\n' > "$root/etc/ssh/sshd_config.d/50-cloud-init.conf"
printf 'PasswordAuthentication no\nPermitRootLogin no\n' > "$root/etc/ssh/sshd_config.d/99-hardening.conf"
# Assess through a read-only bind mount: any write attempt would fail loudly.
mkdir -p "$tmp/ro"
mount --bind "$root" "$tmp/ro"
mount -o remount,bind,ro "$tmp/ro"
before=$(cd "$tmp/upper" && find . -printf '%p %m %u %g %s %T@\n' | sort | sha256sum)
set +e
"$bin" assess --root "$tmp/ro" --json > "$tmp/report.json" 2> "$tmp/stderr"
status=$?
"$bin" assess --root "$tmp/ro" > "$tmp/report.txt" 2>&1
text_status=$?
set -e
after=$(cd "$tmp/upper" && find . -printf '%p %m %u %g %s %T@\n' | sort | sha256sum)
lab_expect "exit status with something concerning" "$status" 1
lab_expect "human output exit status" "$text_status" 1
lab_expect "nothing under the tree changed" "$after" "$before"
lab_expect "ssh.password_authentication" "$(lab_json "$tmp/report.json" ssh.password_authentication status)" concerning
lab_expect_contains "evidence is sshd -T's word" "$(lab_json "$tmp/report.json" ssh.password_authentication evidence)" "passwordauthentication yes"
lab_expect "ssh.dropin_order" "$(lab_json "$tmp/report.json" ssh.dropin_order status)" concerning
lab_expect_contains "dropin_order names the ignored file" "$(lab_json "$tmp/report.json" ssh.dropin_order evidence)" "99-hardening.conf:1 sets passwordauthentication no"
lab_expect "root login is judged from sshd -T (first value wins too)" "$(lab_json "$tmp/report.json" ssh.permit_root_login status)" good
lab_expect "os.release" "$(lab_json "$tmp/report.json" os.release status)" good
lab_expect_contains "os evidence" "$(lab_json "$tmp/report.json" os.release evidence)" "Debian GNU/Linux 12"
lab_expect "sysctls are not judged from a tree" "$(lab_json "$tmp/report.json" sysctl.accept_redirects summary)" "unknown: not the live system"
lab_expect "IMDS is not probed for a tree" "$(lab_json "$tmp/report.json" imds.tokens summary)" "unknown: not the live system"
lab_expect "net.listening" "$(lab_json "$tmp/report.json" net.listening summary)" "unknown: not the live system"
lab_expect "firewall from the tree's ufw configuration" "$(lab_json "$tmp/report.json" firewall.status status)" concerning
lab_expect "fail2ban is installed in the tree" "$(lab_json "$tmp/report.json" packages.security_tools summary)" "missing: unattended-upgrades"
ids=$(python3 -c 'import json,sys; print(len({c["id"] for c in json.load(open(sys.argv[1]))["checks"]}))' "$tmp/report.json")
lab_expect "every check ID is present" "$ids" 22
lab_expect "JSON root field" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["host"]["root"])' "$tmp/report.json")" "$tmp/ro"
lab_expect_contains "human table" "$(head -c 2000 "$tmp/report.txt")" "concerning high     ssh.password_authentication"
umount "$tmp/ro"

echo "== a Match block that re-enables root login"
printf '\nMatch Address 10.0.0.0/8\n    PermitRootLogin yes\n' >> "$root/etc/ssh/sshd_config"
set +e; "$bin" assess --root "$root" --json > "$tmp/match.json"; set -e
lab_expect "ssh.match_overrides" "$(lab_json "$tmp/match.json" ssh.match_overrides status)" concerning
lab_expect_contains "the Match evidence comes from sshd -T -C" "$(lab_json "$tmp/match.json" ssh.match_overrides evidence)" "Match Address 10.0.0.0/8 sets permitrootlogin yes"

echo "== sshd_config without an Include: every drop-in is ignored"
sed -i '/^Include/d; /^Match Address/,$d' "$root/etc/ssh/sshd_config"
set +e; "$bin" assess --root "$root" --json > "$tmp/noinclude.json"; set -e
lab_expect "ssh.dropin_order" "$(lab_json "$tmp/noinclude.json" ssh.dropin_order status)" concerning
lab_expect_contains "says the drop-ins are ignored" "$(lab_json "$tmp/noinclude.json" ssh.dropin_order evidence)" "has no Include of sshd_config.d"
lab_expect "root login falls back to sshd's default" "$(lab_json "$tmp/noinclude.json" ssh.permit_root_login status)" concerning

echo "== a tree without sshd: the ssh checks say why, the rest still run"
mv "$root/usr/sbin/sshd" "$root/usr/sbin/sshd.moved"
set +e; "$bin" assess --root "$root" --json > "$tmp/nosshd.json"; set -e
lab_expect "ssh.x11_forwarding" "$(lab_json "$tmp/nosshd.json" ssh.x11_forwarding summary)" "unknown: sshd is not installed (no /usr/sbin/sshd)"
lab_expect "users.login_shells still runs" "$(lab_json "$tmp/nosshd.json" users.login_shells status)" good
lab_finish
