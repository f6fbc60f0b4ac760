#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs the Debian packages iptmon's build, demo and tests use, if any is missing
# (`make demo` and `make check` call it; so does .ci/run). Root and apt-get needed for that;
# elsewhere it only says what is missing.
set -eu
PKGS=(
	gcc make pkg-config libc6-dev        # build
	libiptc-dev libmnl-dev libnftnl-dev  # netfilter libraries
	libmicrohttpd-dev libcurl4-openssl-dev zlib1g-dev  # the daemon: HTTP read-out, InfluxDB push (gzip)
	tzdata                               # unit tests of accounting periods across DST
	libcmocka-dev                        # unit tests
	clang libclang-rt-dev                # make fuzz: libFuzzer and the ASan/UBSan runtimes (clang's)
	iptables nftables iproute2 procps    # the kernel side
	dnsmasq-base busybox isc-dhcp-client iputils-ping socat jq  # demo and namespace tests
	conntrack                            # tests/ns/cases.d/conntrack.sh: conntrack -L, -D, -F
	collectd-core                        # collectd's iptables and unixsock plugins, for real
	prometheus influxdb curl             # promtool; real Prometheus and InfluxDB 1.x (tests/ns/services.sh)
	iperf3 valgrind                      # bench/ only (valgrind: bench/instr.sh)
	chromium                             # tests/ns/cases.d/page.sh only (make page-check): the page in a real browser; big: ~120 MB download
	# packages, cross builds, musl (make deb, make cross-check ARCH=s390x|armhf, make musl-check)
	dpkg-dev debhelper lintian systemd mmdebstrap qemu-user musl-tools gcc-s390x-linux-gnu gcc-arm-linux-gnueabihf
)
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# The postinst of influxdb (and prometheus) would start a system service; the tests run
	# their own. policy-rc.d exiting 101 ("action forbidden") stops invoke-rc.d and
	# deb-systemd-invoke from starting anything. An existing one (Docker images have one) stays.
	rc_d=/usr/sbin/policy-rc.d
	if (set -C && printf '#!/bin/sh\n# tests/deps.sh: no service starts during its apt-get install\nexit 101\n' >"$rc_d") 2>/dev/null; then
		trap 'rm -f "$rc_d"' EXIT
		trap 'exit 129' HUP
		trap 'exit 130' INT
		trap 'exit 143' TERM
		chmod 755 "$rc_d"
	fi
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
else
	echo "deps: missing Debian packages: ${missing[*]} (run as root to install them)" >&2
	exit 1
fi
