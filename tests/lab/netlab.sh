# The network lab: three network namespaces (devbox, laptop, internet), a real WireGuard tunnel
# named tailscale0 (Debian's wireguard-go), and the Debian tree's own sshd, ufw/iptables and
# fail2ban running in the devbox namespace through chroot into an overlay of the tree.
# Sourced after lib.sh, not run. Nothing here touches the host's own network, firewall, sysctls
# or sshd: every change happens inside namespaces made here, and netlab_down (an EXIT trap set by
# netlab_up) removes every namespace, mount and process the lab made.
#
#   internet 198.51.100.1/24 --eth0-- 198.51.100.10/24 devbox 203.0.113.10/24 --eth1-- 203.0.113.2/24 laptop
#   devbox tailscale0 100.101.102.103/32 (UDP 41641)  <== WireGuard ==>  laptop wg0 100.64.0.2/32
#
# The laptop reaches the devbox's underlay address for WireGuard; the tests use the tunnel address
# for SSH, which is how a laptop reaches a Tailscale-only box.

NETLAB_PREFIX=dhl-
NETLAB_PUBLIC_INTERNET=198.51.100.1
NETLAB_PUBLIC_DEVBOX=198.51.100.10
NETLAB_UNDERLAY_LAPTOP=203.0.113.2
NETLAB_UNDERLAY_DEVBOX=203.0.113.10
NETLAB_TS_DEVBOX=100.101.102.103
NETLAB_TS_LAPTOP=100.64.0.2
NETLAB_WG_PORT=41641
NETLAB_USER=dev
NETLAB_USER_PASSWORD=dev-lab-password
NETLAB_ROOT_PASSWORD=root-lab-password
NETLAB_BIN_IN_TREE=/usr/local/bin/devbox-harden

# Set by netlab_up.
NETLAB_ID=""
NETLAB_TMP=""
NETLAB_MERGED=""
NETLAB_NS_DEVBOX=""
NETLAB_NS_LAPTOP=""
NETLAB_NS_INTERNET=""
NETLAB_KEY=""
NETLAB_SSHD_PID=""
NETLAB_SYSLOG_PID=""
NETLAB_F2B_PID=""
NETLAB_WG_DEVBOX_PID=""
NETLAB_WG_LAPTOP_PID=""
NETLAB_UP_SECONDS=""

netlab_log() { echo "netlab: $*" >&2; }

netlab_now() { date +%s.%N; }
netlab_elapsed() { python3 -c 'import sys; print("%.1f" % (float(sys.argv[2]) - float(sys.argv[1])))' "$1" "$(netlab_now)"; }

# Removes one lab by id: processes in its namespaces, its mounts, namespaces and temp dir.
netlab_remove_id() {
  local id=$1 ns pid dir="/tmp/${NETLAB_PREFIX}$1"
  for ns in devbox laptop internet; do
    ns="${NETLAB_PREFIX}$id-$ns"
    ip netns list 2>/dev/null | grep -q "^$ns\b" || continue
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
  done
  sleep 0.2
  for ns in devbox laptop internet; do
    ns="${NETLAB_PREFIX}$id-$ns"
    ip netns list 2>/dev/null | grep -q "^$ns\b" || continue
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
  done
  if [ -d "$dir/merged" ]; then
    # Deepest mounts first; a lazy unmount only if something still holds one.
    local m
    for m in $(awk -v d="$dir/merged" '$2 == d || index($2, d "/") == 1 {print $2}' /proc/self/mounts | sort -r); do
      umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
    done
  fi
  for ns in devbox laptop internet; do
    ip netns del "${NETLAB_PREFIX}$id-$ns" 2>/dev/null || true
  done
  # Never recurse into a directory that still has something mounted under it (the tree, /proc).
  if grep -q " ${dir}[/ ]" /proc/self/mounts; then
    netlab_log "left $dir in place: something is still mounted under it"
  else
    rm -rf --one-file-system "$dir"
  fi
}

# Leftovers of a killed run: a lab whose owner process is gone.
# "PID STARTTIME" of this shell: a recycled pid does not keep a dead lab alive.
netlab_owner_token() { echo "$1 $(awk '{print $22}' "/proc/$1/stat" 2>/dev/null)"; }

netlab_owner_alive() {
  local owner; owner=$(cat "/tmp/${NETLAB_PREFIX}$1/owner" 2>/dev/null) || return 1
  [ -n "$owner" ] && [ "$(netlab_owner_token "${owner%% *}")" = "$owner" ]
}

netlab_remove_stale() {
  local id ids dir
  ids=$( { ip netns list 2>/dev/null | awk '{print $1}' | sed -n "s/^${NETLAB_PREFIX}\([0-9a-f]*\)-.*/\1/p"
           for dir in /tmp/${NETLAB_PREFIX}*; do [ ! -d "$dir" ] || echo "${dir#/tmp/"$NETLAB_PREFIX"}"; done
         } | sort -u || true)
  for id in $ids; do
    netlab_owner_alive "$id" && continue
    netlab_log "removing stale lab $id (its owner is gone)"
    netlab_remove_id "$id"
  done
}

netlab_down() {
  [ -n "$NETLAB_ID" ] || return 0
  netlab_log "tearing down lab $NETLAB_ID"
  netlab_remove_id "$NETLAB_ID"
  NETLAB_ID=""
}

# Runs a command in a namespace. The devbox one runs inside the chroot of the overlay, so it uses
# the tree's sshd, ufw, iptables and fail2ban; the others run host binaries.
netlab_devbox_exec() { ip netns exec "$NETLAB_NS_DEVBOX" chroot "$NETLAB_MERGED" "$@"; }
lab_devbox_exec() { netlab_devbox_exec "$@"; }
netlab_devbox_host_exec() { ip netns exec "$NETLAB_NS_DEVBOX" "$@"; }
netlab_laptop_exec() { ip netns exec "$NETLAB_NS_LAPTOP" "$@"; }
netlab_internet_exec() { ip netns exec "$NETLAB_NS_INTERNET" "$@"; }

netlab_ns() {
  case "$1" in
    devbox) echo "$NETLAB_NS_DEVBOX" ;;
    laptop) echo "$NETLAB_NS_LAPTOP" ;;
    internet) echo "$NETLAB_NS_INTERNET" ;;
    *) echo "$1" ;;
  esac
}

# netlab_tcp_open NS ADDR PORT: can NS open a NEW TCP connection to ADDR:PORT (3 s timeout)?
netlab_tcp_open() {
  ip netns exec "$(netlab_ns "$1")" timeout 3 bash -c 'exec 3<>/dev/tcp/$0/$1' "$2" "$3" 2>/dev/null
}

# netlab_ping NS ADDR [COUNT]: ICMP echo from NS (no ping binary needed: neither this host nor the
# tree has one; a raw socket in python3 does the same). True when any reply arrives.
netlab_ping() {
  ip netns exec "$(netlab_ns "$1")" /usr/bin/python3 - "$2" "${3:-3}" << 'EOF'
import os, select, socket, struct, sys, time
addr, count = sys.argv[1], int(sys.argv[2])
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
ident = os.getpid() & 0xffff
for seq in range(1, count + 1):
    body = b"netlab" * 4
    hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    s.sendto(struct.pack("!BBHHH", 8, 0, csum(hdr + body), ident, seq) + body, (addr, 0))
    deadline = time.time() + 1.0
    while time.time() < deadline:
        r, _, _ = select.select([s], [], [], max(0, deadline - time.time()))
        if not r: break
        pkt, src = s.recvfrom(2048)
        ihl = (pkt[0] & 0x0f) * 4
        t, _, _, rid, rseq = struct.unpack("!BBHHH", pkt[ihl:ihl + 8])
        if src[0] == addr and t == 0 and rid == ident:
            sys.exit(0)
sys.exit(1)
EOF
}

netlab_ssh_common=(-F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
  -o ConnectTimeout=5 -o LogLevel=ERROR)

# netlab_ssh_key NS ADDR USER CMD...: a new key login; ssh's status and output.
netlab_ssh_key() {
  local ns; ns=$(netlab_ns "$1"); local addr=$2 user=$3; shift 3
  ip netns exec "$ns" timeout 20 ssh "${netlab_ssh_common[@]}" -o BatchMode=yes \
    -o PreferredAuthentications=publickey -o IdentitiesOnly=yes -i "$NETLAB_KEY" \
    "$user@$addr" "$@" < /dev/null
}

# netlab_ssh_password NS ADDR USER PASSWORD CMD...: a new password login. Uses sshpass when the host
# has it, otherwise ssh's own SSH_ASKPASS_REQUIRE=force (OpenSSH >= 8.4), so sshpass is optional.
netlab_ssh_password() {
  local ns; ns=$(netlab_ns "$1"); local addr=$2 user=$3 pass=$4; shift 4
  # shellcheck disable=SC2054  # the commas are inside one ssh option value
  local opts=("${netlab_ssh_common[@]}" -o PreferredAuthentications=password,keyboard-interactive
    -o PubkeyAuthentication=no -o NumberOfPasswordPrompts=1)
  if command -v sshpass >/dev/null; then
    SSHPASS=$pass ip netns exec "$ns" timeout 20 sshpass -e ssh "${opts[@]}" "$user@$addr" "$@" < /dev/null
  else
    NETLAB_ASKPASS_PASSWORD=$pass SSH_ASKPASS="$NETLAB_TMP/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=:0 \
      ip netns exec "$ns" timeout 20 setsid -w ssh "${opts[@]}" "$user@$addr" "$@" < /dev/null
  fi
}

# netlab_udp_arrives: WireGuard UDP to the devbox's port 41641 still arrives, through a NEW flow.
# The laptop moves to a fresh source port first, so connection tracking cannot pass the packets as
# part of an earlier flow; a ping through the tunnel then needs the devbox to accept new UDP on
# 41641 (and proves the handshake/data path both ways).
netlab_udp_arrives() {
  local port=$((42000 + RANDOM % 20000))
  netlab_wg laptop set wg0 listen-port "$port" || return 1
  netlab_ping laptop "$NETLAB_TS_DEVBOX" 5
}

# netlab_wg devbox|laptop ARGS...: `wg` against that side's wireguard-go. Each wireguard-go runs
# in a private mount namespace with its own /run, so its control socket cannot collide with
# another lab's (or the host's) and `wg` has to enter that mount namespace to find it.
netlab_wg() {
  local pid
  case "$1" in devbox) pid=$NETLAB_WG_DEVBOX_PID ;; laptop) pid=$NETLAB_WG_LAPTOP_PID ;; esac
  shift
  nsenter -t "$pid" -m -n wg "$@"
}

netlab_start_wireguard() {
  local ns=$1 ifname=$2 var=$3 pid i
  ip netns exec "$ns" unshare -m --propagation private sh -c \
    'mount -t tmpfs -o mode=0755 netlab-run /run && exec env WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 wireguard-go -f "$0"' \
    "$ifname" > "$NETLAB_TMP/wireguard-$ifname.log" 2>&1 &
  pid=$!
  printf -v "$var" '%s' "$pid"
  for i in $(seq 1 50); do
    if ip -n "$ns" link show "$ifname" > /dev/null 2>&1 &&
      nsenter -t "$pid" -m -n test -S "/run/wireguard/$ifname.sock" 2> /dev/null; then
      return 0
    fi
    sleep 0.1
  done
  netlab_log "wireguard-go did not create $ifname in $ns:"; cat "$NETLAB_TMP/wireguard-$ifname.log" >&2
  return 1
}

netlab_setup_namespaces() {
  local d=$NETLAB_NS_DEVBOX l=$NETLAB_NS_LAPTOP i=$NETLAB_NS_INTERNET
  ip netns add "$d"; ip netns add "$l"; ip netns add "$i"
  # Each veth is made directly inside its namespaces: no interface ever appears on the host.
  ip -n "$d" link add eth0 type veth peer name eth0 netns "$i"
  ip -n "$d" link add eth1 type veth peer name eth0 netns "$l"
  ip -n "$d" addr add "$NETLAB_PUBLIC_DEVBOX/24" dev eth0
  ip -n "$i" addr add "$NETLAB_PUBLIC_INTERNET/24" dev eth0
  ip -n "$d" addr add "$NETLAB_UNDERLAY_DEVBOX/24" dev eth1
  ip -n "$l" addr add "$NETLAB_UNDERLAY_LAPTOP/24" dev eth0
  local ns
  for ns in "$d" "$l" "$i"; do
    ip -n "$ns" link set lo up
    ip -n "$ns" link set eth0 up
  done
  ip -n "$d" link set eth1 up
}

netlab_setup_tunnel() {
  local d=$NETLAB_NS_DEVBOX l=$NETLAB_NS_LAPTOP
  umask 077
  wg genkey > "$NETLAB_TMP/devbox.wgkey"; wg genkey > "$NETLAB_TMP/laptop.wgkey"
  umask 022
  local dpub lpub
  dpub=$(wg pubkey < "$NETLAB_TMP/devbox.wgkey"); lpub=$(wg pubkey < "$NETLAB_TMP/laptop.wgkey")
  netlab_start_wireguard "$d" tailscale0 NETLAB_WG_DEVBOX_PID
  netlab_start_wireguard "$l" wg0 NETLAB_WG_LAPTOP_PID
  netlab_wg devbox set tailscale0 listen-port "$NETLAB_WG_PORT" private-key "$NETLAB_TMP/devbox.wgkey" \
    peer "$lpub" allowed-ips "$NETLAB_TS_LAPTOP/32"
  netlab_wg laptop set wg0 private-key "$NETLAB_TMP/laptop.wgkey" \
    peer "$dpub" allowed-ips "$NETLAB_TS_DEVBOX/32" endpoint "$NETLAB_UNDERLAY_DEVBOX:$NETLAB_WG_PORT" \
    persistent-keepalive 5
  ip -n "$d" addr add "$NETLAB_TS_DEVBOX/32" dev tailscale0
  ip -n "$l" addr add "$NETLAB_TS_LAPTOP/32" dev wg0
  ip -n "$d" link set tailscale0 up
  ip -n "$l" link set wg0 up
  ip -n "$d" route add "$NETLAB_TS_LAPTOP/32" dev tailscale0
  ip -n "$l" route add "$NETLAB_TS_DEVBOX/32" dev wg0
  local i
  for i in $(seq 1 10); do
    netlab_ping laptop "$NETLAB_TS_DEVBOX" 3 && return 0
  done
  netlab_log "no ping through the tunnel"; return 1
}

# A minimal /dev for the chroot (no host devices beyond the harmless ones), /proc, and a private /run.
netlab_setup_chroot_mounts() {
  local m=$NETLAB_MERGED
  mount -t tmpfs -o mode=0755 netlab-run "$m/run"
  mkdir -p "$m/run/sshd" "$m/run/lock" "$m/run/fail2ban"
  chmod 0755 "$m/run/sshd"
  mount -t proc proc "$m/proc"
  mount -t tmpfs -o mode=0755 netlab-dev "$m/dev"
  mknod -m 666 "$m/dev/null" c 1 3; mknod -m 666 "$m/dev/zero" c 1 5; mknod -m 666 "$m/dev/full" c 1 7
  mknod -m 666 "$m/dev/random" c 1 8; mknod -m 666 "$m/dev/urandom" c 1 9; mknod -m 666 "$m/dev/tty" c 5 0
  mkdir -p "$m/dev/pts" "$m/dev/shm"
  mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$m/dev/pts"
  ln -s pts/ptmx "$m/dev/ptmx"
  ln -s /proc/self/fd "$m/dev/fd"
}

netlab_setup_users() {
  local m=$NETLAB_MERGED
  netlab_devbox_exec useradd -m -s /bin/bash -G sudo "$NETLAB_USER"
  printf '%s:%s\nroot:%s\n' "$NETLAB_USER" "$NETLAB_USER_PASSWORD" "$NETLAB_ROOT_PASSWORD" |
    netlab_devbox_exec chpasswd
  ssh-keygen -q -t ed25519 -N '' -C "netlab-$NETLAB_ID" -f "$NETLAB_KEY"
  install -d -m 700 "$m/home/$NETLAB_USER/.ssh"
  install -m 600 "$NETLAB_KEY.pub" "$m/home/$NETLAB_USER/.ssh/authorized_keys"
  netlab_devbox_exec chown -R "$NETLAB_USER:$NETLAB_USER" "/home/$NETLAB_USER/.ssh"
  # The runbook removes root's authorized_keys; give root one so that step has something to do.
  install -d -m 700 "$m/root/.ssh"
  install -m 600 "$NETLAB_KEY.pub" "$m/root/.ssh/authorized_keys"
}

# A tiny syslog daemon on the chroot's /dev/log writing /var/log/auth.log in the classic rsyslog
# format, so sshd runs unmodified and fail2ban can use a file backend (there is no journal here).
netlab_start_syslog() {
  cat > "$NETLAB_MERGED/usr/local/sbin/netlab-syslogd" << 'EOF'
#!/usr/bin/python3
# netlab-syslogd: /dev/log -> /var/log/auth.log ("Mon DD HH:MM:SS HOST prog[pid]: msg").
import os, re, socket, time
path = "/dev/log"
try:
    os.unlink(path)
except FileNotFoundError:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
host = socket.gethostname().split(".")[0] or "devbox"
out = open("/var/log/auth.log", "a", buffering=1)
os.chmod("/var/log/auth.log", 0o640)
pri = re.compile(rb"^<\d+>")
stamp = re.compile(rb"^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d ")
while True:
    data = s.recv(65536)
    data = pri.sub(b"", data).rstrip(b"\n\0")
    data = stamp.sub(b"", data)
    out.write("%s %s %s\n" % (time.strftime("%b %e %H:%M:%S"), host, data.decode("utf-8", "replace")))
EOF
  chmod 755 "$NETLAB_MERGED/usr/local/sbin/netlab-syslogd"
  ip netns exec "$NETLAB_NS_DEVBOX" chroot "$NETLAB_MERGED" /usr/local/sbin/netlab-syslogd > "$NETLAB_TMP/syslogd.log" 2>&1 &
  NETLAB_SYSLOG_PID=$!
  local i
  for i in $(seq 1 50); do [ -S "$NETLAB_MERGED/dev/log" ] && return 0; sleep 0.1; done
  netlab_log "syslogd did not start"; cat "$NETLAB_TMP/syslogd.log" >&2; return 1
}

# The tree's sshd, in the foreground (-D) so its pid is known; it writes /run/sshd.pid as usual,
# so `kill -HUP $(cat /run/sshd.pid)` inside the chroot reloads it (there is no systemctl here).
netlab_start_sshd() {
  # Called directly, not through netlab_devbox_exec: a function run with & is a subshell, and $!
  # must be sshd's own pid (ip netns exec and chroot both exec).
  ip netns exec "$NETLAB_NS_DEVBOX" chroot "$NETLAB_MERGED" /usr/sbin/sshd -D -f /etc/ssh/sshd_config > "$NETLAB_TMP/sshd.log" 2>&1 &
  NETLAB_SSHD_PID=$!
  local i
  for i in $(seq 1 50); do
    netlab_tcp_open devbox 127.0.0.1 22 && return 0
    kill -0 "$NETLAB_SSHD_PID" 2>/dev/null || break
    sleep 0.1
  done
  netlab_log "sshd did not start"; cat "$NETLAB_TMP/sshd.log" >&2; return 1
}

# netlab_sshd_reload: what a non-systemd box does for `systemctl reload ssh`.
netlab_sshd_reload() {
  netlab_devbox_exec sh -c 'kill -HUP "$(cat /run/sshd.pid)"'
  sleep 0.5
}

netlab_up() {
  local start; start=$(netlab_now)
  local bin=${1:-}
  netlab_remove_stale
  NETLAB_ID=$(printf '%04x%02x' $((RANDOM)) $(($$ % 256)))
  NETLAB_TMP="/tmp/${NETLAB_PREFIX}$NETLAB_ID"
  NETLAB_NS_DEVBOX="${NETLAB_PREFIX}$NETLAB_ID-devbox"
  NETLAB_NS_LAPTOP="${NETLAB_PREFIX}$NETLAB_ID-laptop"
  NETLAB_NS_INTERNET="${NETLAB_PREFIX}$NETLAB_ID-internet"
  mkdir -p "$NETLAB_TMP"
  netlab_owner_token $$ > "$NETLAB_TMP/owner"
  NETLAB_KEY="$NETLAB_TMP/id_ed25519"
  printf '#!/bin/sh\nprintf "%%s\\n" "$NETLAB_ASKPASS_PASSWORD"\n' > "$NETLAB_TMP/askpass"
  chmod 755 "$NETLAB_TMP/askpass"
  trap 'netlab_down' EXIT
  # The EXIT trap runs on a normal exit only; make INT and TERM exit normally.
  trap 'exit 130' INT
  trap 'exit 143' TERM
  netlab_log "lab $NETLAB_ID: namespaces $NETLAB_NS_DEVBOX, $NETLAB_NS_LAPTOP, $NETLAB_NS_INTERNET"
  netlab_setup_namespaces
  netlab_log "WireGuard tunnel: devbox tailscale0 $NETLAB_TS_DEVBOX:$NETLAB_WG_PORT <-> laptop wg0 $NETLAB_TS_LAPTOP"
  netlab_setup_tunnel
  local tree; tree=$("$(dirname "${BASH_SOURCE[0]}")/make-tree.sh")
  netlab_log "devbox root: overlay of $tree at $NETLAB_TMP/merged"
  lab_overlay "$tree" "$NETLAB_TMP"
  NETLAB_MERGED="$NETLAB_TMP/merged"
  netlab_setup_chroot_mounts
  echo devbox > "$NETLAB_MERGED/etc/hostname"
  install -m 755 "$(dirname "${BASH_SOURCE[0]}")/tailscale-standin" "$NETLAB_MERGED/usr/bin/tailscale"
  if [ -n "$bin" ]; then install -m 755 "$bin" "$NETLAB_MERGED$NETLAB_BIN_IN_TREE"; fi
  netlab_log "users: $NETLAB_USER (sudo, password and key), root (password)"
  netlab_setup_users
  netlab_log "syslog to /var/log/auth.log, sshd on port 22"
  netlab_start_syslog
  netlab_start_sshd
  NETLAB_UP_SECONDS=$(netlab_elapsed "$start")
  netlab_log "lab is up in ${NETLAB_UP_SECONDS}s"
}

# netlab_fail2ban_jail MAXRETRY BANTIME: the runbook's [sshd] jail as /etc/fail2ban/jail.local,
# on a file backend reading auth.log (there is no journal in the lab).
netlab_fail2ban_jail() {
  cat > "$NETLAB_MERGED/etc/fail2ban/jail.local" << EOF
[sshd]
enabled = true
port = ssh
backend = polling
logpath = /var/log/auth.log
maxretry = ${1:-5}
bantime = ${2:-600}
findtime = 600
EOF
}

# netlab_fail2ban_start: runs the tree's fail2ban-server in the foreground in the devbox chroot with
# whatever configuration the tree holds (the lab's jail, or what devbox-harden wrote). True once
# the sshd jail answers; false if the server exits, with its log in $NETLAB_TMP/fail2ban.out.
netlab_fail2ban_start() {
  ip netns exec "$NETLAB_NS_DEVBOX" chroot "$NETLAB_MERGED" fail2ban-server -f -x --logtarget STDERR > "$NETLAB_TMP/fail2ban.out" 2>&1 &
  NETLAB_F2B_PID=$!
  local i
  for i in $(seq 1 100); do
    netlab_devbox_exec fail2ban-client status sshd > /dev/null 2>&1 && return 0
    kill -0 "$NETLAB_F2B_PID" 2>/dev/null || break
    sleep 0.2
  done
  wait "$NETLAB_F2B_PID" 2>/dev/null || true
  NETLAB_F2B_PID=""
  return 1
}

# netlab_syslog_stop: a Debian 12 box without rsyslog: sshd's messages go nowhere and
# /var/log/auth.log does not exist (the journal is not there either in the lab).
netlab_syslog_stop() {
  [ -z "$NETLAB_SYSLOG_PID" ] || { kill "$NETLAB_SYSLOG_PID" 2>/dev/null; wait "$NETLAB_SYSLOG_PID" 2>/dev/null || true; }
  NETLAB_SYSLOG_PID=""
  rm -f "$NETLAB_MERGED/var/log/auth.log" "$NETLAB_MERGED/dev/log"
}

netlab_fail2ban_stop() {
  netlab_devbox_exec fail2ban-client stop > /dev/null 2>&1 || true
  [ -z "$NETLAB_F2B_PID" ] || wait "$NETLAB_F2B_PID" 2>/dev/null || true
  NETLAB_F2B_PID=""
}

# netlab_fail2ban_banned: the IPs the sshd jail has banned, one per line.
netlab_fail2ban_banned() {
  netlab_devbox_exec fail2ban-client get sshd banned 2>/dev/null | tr -d "[]',\"" | tr ' ' '\n' | grep . || true
}

# ---- shared by the tests that use this lab ---------------------------------------------------

# netlab_require_tools TOOL...: fail (not skip) when a tool the lab needs is missing.
netlab_require_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" > /dev/null || { echo "$LAB_NAME: FAIL: $tool is missing; run scripts/setup.sh" >&2; exit 1; }
  done
}

# A fingerprint of the host's own firewall, the sysctls ufw sets, and its interfaces: a lab must
# leave it as it found it.
netlab_host_fingerprint() {
  { iptables-save 2>/dev/null | grep -v '^#' || true
    ip6tables-save 2>/dev/null | grep -v '^#' || true
    nft list ruleset 2>/dev/null || true
    sysctl -n net.ipv4.conf.all.accept_redirects net.ipv4.conf.default.accept_redirects \
      net.ipv4.icmp_echo_ignore_broadcasts net.ipv4.conf.all.log_martians 2>/dev/null || true
    ip -o link show | awk -F': ' '{print $2}' | sort
  } | sha256sum
}

# Words for assertions: "open"/"closed" for a new TCP connection, "works"/"fails" for a command.
tcp() { if netlab_tcp_open "$@"; then echo open; else echo closed; fi; }
ok() { if "$@" > /dev/null 2>&1; then echo works; else echo fails; fi; }
