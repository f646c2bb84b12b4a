#!/usr/bin/env bash
# Installs everything devbox-harden needs to build and to run its tests and labs, from Debian 12's
# own packages. Run as root on Debian 12 (a fresh machine is fine). Safe to run again.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
  echo "setup: run as root (sudo $0): it installs Debian packages" >&2
  exit 2
fi
build_packages=(g++ cmake ninja-build pkg-config libcli11-dev nlohmann-json3-dev libfmt-dev
                libcurl4-openssl-dev libgtest-dev libgmock-dev)
# Labs: debootstrap trees, namespaces, the real SSH client, WireGuard in userspace, an IMDS emulator.
lab_packages=(debootstrap iproute2 openssh-client sshpass wireguard-go wireguard-tools python3 curl
              ca-certificates util-linux procps)
missing=()
for p in "${build_packages[@]}" "${lab_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all packages present"
  exit 0
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
