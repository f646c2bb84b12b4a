#!/usr/bin/env bash
# Builds (once) a Debian 12 tree with the packages the labs need, and prints its path.
# The tree is cached outside the repository; delete the cache directory to rebuild it.
# Usage: tests/lab/make-tree.sh [CACHE_DIR]
set -euo pipefail
cache=${1:-${DEVBOX_HARDEN_CACHE:-/var/cache/devbox-harden}}
tree="$cache/trees/bookworm"
stamp="$tree/.devbox-harden-tree-v2"
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# libcurl4 and libfmt9 let the devbox-harden binary built on a Debian 12 host run inside the tree.
packages=openssh-server,openssh-client,ufw,iptables,fail2ban,python3-systemd,sudo,iproute2,procps,libcurl4,libfmt9
if [ -e "$stamp" ]; then
  echo "$tree"
  exit 0
fi
command -v debootstrap >/dev/null || { echo "make-tree: debootstrap is missing; run scripts/setup.sh" >&2; exit 1; }
rm -rf "$tree.partial"
mkdir -p "$tree.partial"
echo "make-tree: debootstrap bookworm into $tree (a few minutes, once)" >&2
debootstrap --variant=minbase --include="$packages" bookworm "$tree.partial" "$mirror" >&2
# Package scripts do not start services in a chroot; only the download cache needs clearing.
rm -rf "$tree.partial/var/cache/apt/archives/"*.deb
touch "$tree.partial/.devbox-harden-tree-v2"
rm -rf "$tree"
mv "$tree.partial" "$tree"
echo "$tree"
