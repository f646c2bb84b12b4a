#!/usr/bin/env bash
# The dead-man timer for real (no fakes): step 5 on an overlay of a Debian 12 tree.
#  A. No confirmation: harden exits 4, the detached dead-man rolls the step back at the deadline,
#     and every file is byte-identical to before (content, mode, owner).
#  B. Confirmation over a NEW SSH connection: sshd from the tree runs in a network namespace
#     made here (loopback only); we ssh in as the lab user and run `sudo devbox-harden confirm`
#     there, so the proof comes from the real process tree and /proc/net/tcp. The timer is then
#     gone and the change stays past the deadline; `rollback --all` restores the exact tree.
#  C. Why step 5 never writes a second "Subsystem sftp": real `sshd -t` rejects it.
# Usage: tests/lab/test-engine-deadman.sh PATH/TO/devbox-harden
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib-engine.sh"
lab_need_root "test-engine-deadman"
bin=$(readlink -f "${1:?usage: $0 PATH/TO/devbox-harden}")
tree=$(lab_tree)
command -v ssh >/dev/null && command -v ssh-keygen >/dev/null || { echo "SKIP: needs ssh and ssh-keygen on the host" >&2; exit 77; }

T=$(mktemp -d /tmp/devbox-harden-deadman.XXXXXX)
ns="dh-deadman-$$"
sshd_pid=""
cleanup() {
  set +e
  [ -n "$sshd_pid" ] && kill "$sshd_pid" 2>/dev/null && wait "$sshd_pid" 2>/dev/null
  # Any dead-man still running for this overlay (by the pid it recorded).
  for m in "$T"/*/merged; do
    [ -f "$m/var/lib/devbox-harden/journal.jsonl" ] || continue
    for pid in $(grep -o '"pid":[0-9]*' "$m/var/lib/devbox-harden/journal.jsonl" | cut -d: -f2); do
      grep -qs deadman "/proc/$pid/cmdline" && kill "$pid"
    done
  done
  ip netns del "$ns" 2>/dev/null
  for m in "$T"/*/merged; do mountpoint -q "$m" && umount "$m"; done
  rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $*"; }

ssh-keygen -q -t ed25519 -N '' -C lab@laptop -f "$T/key"

prepare() {  # prepare NAME -> overlay at $T/NAME/merged with the lab user and the binary
  local d="$T/$1"
  lab_overlay "$tree" "$d"
  lab_add_user "$d/merged" labuser 1500 "$T/key.pub"
}

# ---- A: no confirmation -> rolled back on time ----------------------------------------------
prepare a
A="$T/a/merged"
lab_snapshot "$A" "$T/a.before"
set +e
SUDO_USER=labuser "$bin" harden --only 5 --root "$A" --state-dir /var/lib/devbox-harden \
  --confirm-timeout 3s --sftp yes --yes > "$T/a.out" 2>&1
rc=$?
set -e
cat "$T/a.out"
[ "$rc" -eq 4 ] || fail "A: harden exited $rc, wanted 4 (waiting for confirmation)"
[ -f "$A/etc/ssh/sshd_config.d/00-devbox-harden.conf" ] || fail "A: the drop-in was not written"
grep -q '^PasswordAuthentication no$' "$A/etc/ssh/sshd_config.d/00-devbox-harden.conf" || fail "A: drop-in content"
! grep -q Subsystem "$A/etc/ssh/sshd_config.d/00-devbox-harden.conf" || fail "A: duplicate Subsystem written"
# sshd from the tree reads the drop-in first: cloud-init style files lose.
lab_sshd_in_tree "$A" -T > "$T/a.sshdT" 2>&1 || { cat "$T/a.sshdT"; fail "A: sshd -T failed"; }
grep -qx 'passwordauthentication no' "$T/a.sshdT" || fail "A: sshd -T does not show the change"
ok "A: harden applied step 5, sshd -T agrees, exit 4 (gate waiting)"
{ "$bin" status --root "$A" > "$T/a.status" || true; }; grep -q "waiting for a gate" "$T/a.status" || fail "A: status does not show the waiting gate"
ok "A: status shows the waiting gate and its deadline"
sleep 6
lab_snapshot "$A" "$T/a.after"
if ! diff -u "$T/a.before" "$T/a.after"; then fail "A: the tree is not byte-identical after the dead-man fired"; fi
lab_journal_has "$A" deadman-fired || fail "A: journal has no deadman-fired"
grep '"event":"rolled-back"' "$A/var/lib/devbox-harden/journal.jsonl" | grep -q '"by":"deadman"' || fail "A: journal has no rolled-back by deadman"
{ "$bin" status --root "$A" > "$T/a.status2" || true; }; grep -q "rolled back" "$T/a.status2" || fail "A: status does not say rolled back"
ok "A: no confirmation -> the detached dead-man rolled back on time; every file byte-identical (content, mode, owner)"

# ---- C: a second Subsystem sftp is fatal for the real sshd -------------------------------------
echo "Subsystem sftp internal-sftp" > "$A/etc/ssh/sshd_config.d/00-dup.conf"
if lab_sshd_in_tree "$A" -t 2> "$T/c.err"; then fail "C: sshd -t accepted a duplicate Subsystem"; fi
grep -q "already defined" "$T/c.err" || { cat "$T/c.err"; fail "C: unexpected sshd -t error"; }
rm -f "$A/etc/ssh/sshd_config.d/00-dup.conf"
ok "C: real sshd -t rejects a second Subsystem sftp ($(tr -d '\n' < "$T/c.err"))"

# ---- B: confirmation over a NEW SSH connection -> timer gone, change stays --------------------
prepare b
B="$T/b/merged"
run_in_tree=$(lab_install_binary "$bin" "$B")
lab_snapshot "$B" "$T/b.before"
set +e
SUDO_USER=labuser "$bin" harden --only 5 --root "$B" --state-dir /var/lib/devbox-harden \
  --confirm-timeout 25s --sftp yes --yes > "$T/b.out" 2>&1
rc=$?
set -e
cat "$T/b.out"
[ "$rc" -eq 4 ] || fail "B: harden exited $rc, wanted 4"
deadman_pid=$(grep -o '"pid":[0-9]*' "$B/var/lib/devbox-harden/journal.jsonl" | tail -1 | cut -d: -f2)
grep -qs deadman "/proc/$deadman_pid/cmdline" || fail "B: the dead-man process $deadman_pid is not running"
ok "B: harden exit 4, dead-man process $deadman_pid waiting"

# sshd from the tree, started after the change (as a reload would), in a loopback-only
# namespace, with private /run, /proc and /dev in its own mount namespace.
ip netns add "$ns"
ip netns exec "$ns" ip link set lo up
ip netns exec "$ns" unshare --mount --propagation private sh -c '
  m=$1
  mount -t tmpfs tmpfs "$m/run" && mkdir -p "$m/run/sshd"
  mount -t proc proc "$m/proc"
  mount --rbind /dev "$m/dev"
  exec chroot "$m" /usr/sbin/sshd -D -e -p 2222 -o ListenAddress=127.0.0.1
' sh "$B" > "$T/sshd.log" 2>&1 &
sshd_pid=$!
for _ in $(seq 50); do
  ip netns exec "$ns" bash -c 'exec 3<>/dev/tcp/127.0.0.1/2222' 2>/dev/null && break
  sleep 0.1
done
ssh_opts=(-p 2222 -i "$T/key" -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
          -o BatchMode=yes -o LogLevel=ERROR)
# The hardened sshd refuses passwords and root: prove it before confirming.
if ip netns exec "$ns" ssh "${ssh_opts[@]}" -o PreferredAuthentications=password root@127.0.0.1 true 2>/dev/null; then
  fail "B: root password login still possible"
fi
# confirm from this shell (not an SSH connection made after the change) proves nothing.
set +e
"$bin" confirm --root "$B" > "$T/noproof.out" 2>&1
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q "^Not confirmed: " "$T/noproof.out" || { cat "$T/noproof.out"; fail "B: confirm without a new SSH connection was not refused"; }
ok "B: confirm outside a new SSH connection refused: $(head -1 "$T/noproof.out")"
set +e
ip netns exec "$ns" ssh "${ssh_opts[@]}" labuser@127.0.0.1 "sudo $run_in_tree confirm" > "$T/confirm.out" 2>&1
rc=$?
set -e
cat "$T/confirm.out"
[ "$rc" -eq 0 ] || { cat "$T/sshd.log"; fail "B: confirm over the new SSH connection exited $rc"; }
grep -q "Step 5 confirmed: new SSH connection from 127.0.0.1" "$T/confirm.out" || fail "B: confirm did not cite the connection"
ok "B: confirm over a NEW SSH connection accepted (proof from the process tree and /proc/net/tcp)"
sleep 0.5
if grep -qs deadman "/proc/$deadman_pid/cmdline"; then fail "B: the dead-man process is still running after confirm"; fi
ok "B: the dead-man timer is gone"
lab_journal_has "$B" gate-confirmed || fail "B: no gate-confirmed in the journal"
sleep 26  # past the deadline
[ -f "$B/etc/ssh/sshd_config.d/00-devbox-harden.conf" ] || fail "B: the change did not stay after the deadline"
! lab_journal_has "$B" deadman-fired || fail "B: the dead-man fired although confirmed"
{ "$bin" status --root "$B" > "$T/b.status" || true; }; grep -Eq '^ +5  done' "$T/b.status" || fail "B: status does not say done"
ok "B: the change stays past the deadline; status says done"
kill "$sshd_pid"; wait "$sshd_pid" 2>/dev/null || true; sshd_pid=""
# A second run changes nothing; rollback --all restores the exact tree; a second rollback is a no-op.
SUDO_USER=labuser "$bin" harden --only 5 --root "$B" --sftp yes --yes > "$T/b2.out" 2>&1 || fail "B: second harden failed: $(cat "$T/b2.out")"
grep -q "nothing to do" "$T/b2.out" || fail "B: the second harden was not a no-op"
ok "B: a second harden makes zero changes"
"$bin" rollback --all --root "$B" > "$T/rb.out" 2>&1 || fail "B: rollback --all failed: $(cat "$T/rb.out")"
lab_snapshot "$B" "$T/b.after"
diff -u "$T/b.before" "$T/b.after" || fail "B: rollback --all did not restore the exact tree"
"$bin" rollback --all --root "$B" > "$T/rb2.out" && grep -q "Nothing to roll back" "$T/rb2.out" || fail "B: second rollback not idempotent"
ok "B: rollback --all restores every file's content, mode and owner; repeating it does nothing"
echo "PASS: test-engine-deadman"
