#!/bin/sh
# Builds (once) a Debian disk image with systemd as PID 1, sshd and networkd, for the e2e suite.
# The image holds no project code: node, npm and the project arrive per run on a second disk.
# Cached by a hash of this recipe, outside the clone, so CI's fresh clones on this machine reuse it.
# Prints the image directory on stdout (disk.raw, vmlinuz, initrd.img, id_ed25519).
#   image.sh [SUITE [EXTRA_PACKAGES]]   e.g. image.sh trixie nodejs (default: the host's own suite)
# The guest has no network, so whatever it must run from Debian (e.g. nodejs) is baked in here.
set -eu
. /etc/os-release
suite=${1:-${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}}
packages=systemd,systemd-sysv,dbus,udev,kmod,curl,openssh-server,linux-image-cloud-amd64,iproute2,procps${2:+,$2}

# The mirror the host already uses: deb822 "URIs:" first, then a one-line "deb URL suite".
mirror=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null \
  | grep -v security | head -n 1)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $3 == "'"$suite"'" { print $2; exit }' \
  /etc/apt/sources.list 2>/dev/null)
mirror=${mirror:-http://deb.debian.org/debian}

key=$( (cat "$0"; echo "$suite $packages") | sha256sum | cut -c1-16)
cache=${XDG_CACHE_HOME:-${HOME:-/var/cache}/.cache}/diceroll-vm
out=$cache/$suite-$key
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [ -f "$out/disk.raw" ]; then echo "$out"; exit 0; fi

[ "$(id -u)" = 0 ] || { echo "image: building the image needs root (debootstrap); none cached in $out" >&2; exit 1; }
start=$(date +%s)
step() { echo "image: [$(( $(date +%s) - start ))s] $*" >&2; }
work=$(mktemp -d "$cache/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root

step "debootstrap $suite (minbase) from $mirror"
debootstrap --variant=minbase --include="$packages" "$suite" "$root" "$mirror" \
  >"$work/debootstrap.log" 2>&1 || { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }

step "configure network, ssh, fstab"
echo diceroll-vm >"$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 diceroll-vm\n' >"$root/etc/hosts"
echo '/dev/vda / ext4 rw,errors=remount-ro 0 1' >"$root/etc/fstab"
cat >"$root/etc/systemd/network/80-dhcp.network" <<'NET'
[Match]
Name=en* eth*

[Network]
DHCP=ipv4
NET
systemctl --root="$root" enable systemd-networkd.service >/dev/null 2>&1
# Nothing here waits for the network to be "online"; without this it can stall boot for 2 minutes.
systemctl --root="$root" mask systemd-networkd-wait-online.service \
  apt-daily.timer apt-daily-upgrade.timer >/dev/null 2>&1
ssh-keygen -q -t ed25519 -N '' -C diceroll-e2e -f "$work/id_ed25519"
install -d -m 700 "$root/root/.ssh"
install -m 600 "$work/id_ed25519.pub" "$root/root/.ssh/authorized_keys"
echo 'UseDNS no' >"$root/etc/ssh/sshd_config.d/e2e.conf"

step "extract kernel and initrd"
cp "$(ls "$root"/boot/vmlinuz-* | tail -n 1)" "$work/vmlinuz"
cp "$(ls "$root"/boot/initrd.img-* | tail -n 1)" "$work/initrd.img"
rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"*

step "mkfs.ext4 -d (2G, sparse)"
mkfs.ext4 -q -F -L root -d "$root" "$work/disk.raw" 2G >&2
rm -rf "$root"
mkdir -p "$out"
mv "$work/disk.raw" "$work/vmlinuz" "$work/initrd.img" "$work/id_ed25519" "$work/id_ed25519.pub" "$out/"
step "image ready: $out ($(du -sh "$out" | cut -f1) on disk)"
echo "$out"
