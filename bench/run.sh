#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# All benchmarks (root; real netfilter in throwaway namespaces). See bench/README.md.
set -eu
cd "$(dirname "$0")/.."
echo "# machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), kernel $(uname -r), $(. /etc/os-release; echo "$PRETTY_NAME")"
echo "# iptmon $(./iptmon version | cut -d' ' -f2), $(date -u +%Y-%m-%d)"
echo
echo "## event latency and init (ms, median), N hosts already counted"
bench/events.sh "$@"
echo
echo "## forwarding throughput, 64-byte UDP, ratio to no accounting"
bench/forward.sh "$@"
echo
echo "## the daemon: memory, CPU per poll, /metrics, state file, N hosts counted"
bench/daemon.sh "$@"
echo
echo "## footprint (nft): kernel memory, read cost, daemon memory and CPU, binary sizes"
bench/footprint.sh
echo
echo "## instructions (callgrind): the daemon's poll and metrics --kernel, N hosts counted"
bench/instr.sh
echo
echo "## host discovery: first counted packet, 1000 new neighbours"
bench/discover.sh "$@"
echo
echo "## the conntrack counting mode: CPU per poll and memory at N flows, forwarding with accounting on/off"
bench/conntrack.sh
