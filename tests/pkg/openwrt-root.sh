#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/pkg/openwrt-root.sh ROOT IPTMON_BIN: a small OpenWrt-like root filesystem to chroot
# into, for testing openwrt/ under busybox: busybox as every command (/bin/sh is busybox
# ash), the iptmon binary under test, the stand-ins for OpenWrt's own commands and scripts
# (tests/pkg/openwrt/: uci, /lib/functions.sh, rc.common, procd.sh, procd's hotplug
# dispatch, dnsmasq's dhcp-script wrapper), and the shared libraries they need. The
# package's files are not installed here: tests/pkg/opkg.sh does that from the feed Makefile.
set -eu
root=$1
bin=$2
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc/config,etc/init.d,etc/rc.d,etc/hotplug.d,tmp,dev,proc,usr/lib/opkg/info,root}
ln -s tmp "$root/var" # OpenWrt: /var is /tmp (RAM)
mkdir -p "$root/tmp/run" "$root/tmp/etc" "$root/tmp/lock" "$root/tmp/state"
chmod 1777 "$root/tmp"
cp -a "$here/openwrt/." "$root/"
# busybox, every applet a link to it
bb=$(command -v busybox)
cp "$bb" "$root/bin/busybox"
for a in $("$bb" --list); do
	[ -e "$root/bin/$a" ] || [ -e "$root/sbin/$a" ] || ln -s busybox "$root/bin/$a"
done
install -m 0755 "$bin" "$root/usr/sbin/iptmon.built" # opkg.sh installs it
# shared libraries, at the paths the loader looks for them
for f in "$bb" "$bin"; do
	ldd "$f" 2>/dev/null | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }'
done | sort -u | while read -r lib; do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
# what a booted OpenWrt has
echo "127.0.0.1 localhost" >"$root/etc/hosts"
echo "root:x:0:0:root:/root:/bin/ash" >"$root/etc/passwd"
echo "root:x:0:" >"$root/etc/group"
mknod -m 666 "$root/dev/null" c 1 3
mknod -m 666 "$root/dev/zero" c 1 5
mknod -m 444 "$root/dev/urandom" c 1 9
