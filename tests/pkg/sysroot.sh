#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/pkg/sysroot.sh ARCH DIR: a Debian sysroot for cross builds (mk/cross.mk), made with
# mmdebstrap --variant=extract from the mirrors in this machine's own apt configuration
# (nothing about mirrors is written in the repository). Only the -dev packages iptmon builds
# against, and their dependencies, are unpacked; nothing is configured or run.
set -eu
arch=$1
dir=$2
[ -f "$dir/.complete" ] && exit 0
command -v mmdebstrap >/dev/null || { echo "sysroot: mmdebstrap missing (apt-get install mmdebstrap)" >&2; exit 1; }
. /etc/os-release
suite=${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}
# The archive this machine's apt takes $suite from (deb822 .sources or one-line .list). Only
# that one: a sysroot to compile against needs no security or update suites, and their
# indexes are the ones a syncing mirror serves half-updated.
mirror=$(
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] && awk -v s="$suite" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) while ($i !~ /\]$/) i++; if ($2 ~ /^\[/) i++; if ($(i + 1) == s) print $i }' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] && awk -v s="$suite" '
			/^[ \t]*$/ { if (deb && uri != "" && hit) print uri; deb = 0; uri = ""; hit = 0; next }
			/^Types:/ { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
			/^URIs:/ { uri = $2 }
			/^Suites:/ { for (i = 2; i <= NF; i++) if ($i == s) hit = 1 }
			END { if (deb && uri != "" && hit) print uri }' "$f"
	done | head -n 1
)
[ -n "$mirror" ] || { echo "sysroot: no apt source for $suite in /etc/apt" >&2; exit 1; }
rm -rf "$dir"
mkdir -p "$(dirname "$dir")"
mmdebstrap --quiet --variant=extract --arch="$arch" \
	--include=libc6-dev,libnftnl-dev,libmnl-dev,libiptc-dev,libcmocka-dev,libmicrohttpd-dev,libcurl4-openssl-dev,zlib1g-dev,linux-libc-dev,tzdata \
	"$suite" "$dir" "deb $mirror $suite main"
# --variant=extract unpacks but does not run the merged-usr setup: add its links.
for l in lib lib32 lib64 bin sbin; do
	if [ -d "$dir/usr/$l" ] && [ ! -e "$dir/$l" ]; then ln -s "usr/$l" "$dir/$l"; fi
done
touch "$dir/.complete"
