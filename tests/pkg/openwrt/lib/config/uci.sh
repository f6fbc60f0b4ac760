# SPDX-License-Identifier: GPL-2.0-or-later
# Test stand-in for OpenWrt's /lib/config/uci.sh: uci_load evaluates `uci export` with the
# callbacks of /lib/functions.sh, after forgetting what an earlier load set.
uci_load() {
	local _pkg=$1 _data _s
	for _s in $CONFIG_SECTIONS; do
		unset $(set | sed -n "s/^\(CONFIG_${_s}_[A-Za-z0-9_]*\)=.*/\1/p")
	done
	CONFIG_SECTIONS=
	CONFIG_NUM_SECTIONS=0
	CONFIG_SECTION=
	_data=$(/sbin/uci -P /var/state -S -n export "$_pkg" 2>/dev/null) || return 1
	eval "$_data"
}
uci_get() { /sbin/uci -q get "$1${2:+.$2}${3:+.$3}"; }
uci_set() { /sbin/uci -q set "$1.$2.$3=$4"; }
uci_remove() { /sbin/uci -q delete "$1.$2${3:+.$3}"; }
uci_commit() { /sbin/uci -q commit "$1"; }
