#!/bin/sh
# Installs the host tools the e2e suite needs, so a fresh machine runs it instead of skipping.
set -eu
need=""
command -v qemu-system-x86_64 >/dev/null || need="$need qemu-system-x86"
command -v qemu-img >/dev/null || need="$need qemu-utils"
command -v debootstrap >/dev/null || need="$need debootstrap"
command -v ssh >/dev/null || need="$need openssh-client"
command -v ssh-keygen >/dev/null || need="$need openssh-client"
command -v mkfs.ext4 >/dev/null || need="$need e2fsprogs"
command -v systemd-analyze >/dev/null || need="$need systemd"
[ -z "$need" ] && exit 0
[ "$(id -u)" = 0 ] || { echo "host-deps: need root to install:$need" >&2; exit 1; }
echo "host-deps: installing$need" >&2
apt-get -o DPkg::Lock::Timeout=600 update -q >&2
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q \
  --no-install-recommends $need >&2
