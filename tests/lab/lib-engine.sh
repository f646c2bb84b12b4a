# Helpers for the engine labs (sourced). Needs root: overlay mounts, chroot, network namespaces.

# lab_need_root: skip (77) with the reason when not root.
lab_need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: $1 needs root (overlay mounts, chroot, network namespaces)" >&2
    exit 77
  fi
}

# lab_tree: the Debian 12 tree to use, or skip.
lab_tree() {
  local cache=${DEVBOX_HARDEN_CACHE:-/var/cache/devbox-harden}
  for t in "$cache/trees/bookworm" "$cache/trees/bookworm-v1"; do
    if [ -x "$t/usr/sbin/sshd" ] && { [ -e "$t/.devbox-harden-tree-v2" ] || [ -e "$t/.devbox-harden-tree-v1" ]; }; then
      echo "$t"
      return 0
    fi
  done
  echo "SKIP: no Debian 12 tree; build it with tests/lab/make-tree.sh" >&2
  exit 77
}

# lab_overlay TREE DIR: mounts a writable overlay of TREE at DIR/merged.
lab_overlay() {
  mkdir -p "$2/upper" "$2/work" "$2/merged"
  mount -t overlay overlay -o "lowerdir=$1,upperdir=$2/upper,workdir=$2/work" "$2/merged"
}

# lab_snapshot DIR: one line per file below DIR (except the state dir): path, mode, owner, and
# a sha256 of regular files; symlink targets for links.
lab_snapshot() {
  (cd "$1" && find . -xdev -path ./var/lib/devbox-harden -prune -o -path ./proc -prune -o -path ./run -prune \
      -o -printf '%p %y %m %u %g %l\n' | LC_ALL=C sort) > "$2"
  (cd "$1" && find . -xdev -path ./var/lib/devbox-harden -prune -o -path ./proc -prune -o -path ./run -prune \
      -o -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) >> "$2"
}

# lab_add_user MERGED NAME UID PUBKEY_FILE: a login user with an authorized key and sudo rights.
lab_add_user() {
  local m=$1 name=$2 uid=$3 key=$4
  echo "$name:x:$uid:$uid:lab user:/home/$name:/bin/bash" >> "$m/etc/passwd"
  echo "$name:*:19700:0:99999:7:::" >> "$m/etc/shadow"
  echo "$name:x:$uid:" >> "$m/etc/group"
  mkdir -p "$m/home/$name/.ssh"
  cp "$key" "$m/home/$name/.ssh/authorized_keys"
  chmod 700 "$m/home/$name/.ssh"
  chmod 600 "$m/home/$name/.ssh/authorized_keys"
  chown -R "$uid:$uid" "$m/home/$name"
  if [ -d "$m/etc/sudoers.d" ]; then
    echo "$name ALL=(ALL) NOPASSWD: ALL" > "$m/etc/sudoers.d/lab-$name"
    chmod 440 "$m/etc/sudoers.d/lab-$name"
  fi
}

# lab_install_binary BINARY MERGED: copies devbox-harden into MERGED/opt/devbox-harden-lab with
# the shared libraries the tree lacks; prints the command to run it inside the tree.
lab_install_binary() {
  local bin=$1 m=$2 dir=/opt/devbox-harden-lab
  mkdir -p "$m$dir/lib"
  cp "$bin" "$m$dir/devbox-harden"
  ldd "$bin" | awk '/=> \//{print $1, $3}' | while read -r name path; do
    if ! ls "$m"/usr/lib/x86_64-linux-gnu/"$name" "$m"/lib/x86_64-linux-gnu/"$name" >/dev/null 2>&1; then
      cp -L "$path" "$m$dir/lib/$name"
    fi
  done
  echo "env LD_LIBRARY_PATH=$dir/lib $dir/devbox-harden"
}

# lab_journal_has MERGED EVENT: the journal under MERGED records EVENT.
lab_journal_has() {
  grep -q "\"event\":\"$2\"" "$1/var/lib/devbox-harden/journal.jsonl"
}

# lab_sshd_in_tree MERGED ARGS...: runs the tree's sshd (e.g. -T, -t) through chroot with a
# private tmpfs on /run (sshd needs /run/sshd), in a throwaway mount namespace.
lab_sshd_in_tree() {
  local m=$1
  shift
  unshare --mount --propagation private sh -c 'm=$1; shift; mount -t tmpfs tmpfs "$m/run" && mkdir -p "$m/run/sshd" && exec chroot "$m" /usr/sbin/sshd "$@"' sh "$m" "$@"
}
