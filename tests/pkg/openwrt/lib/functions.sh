# SPDX-License-Identifier: GPL-2.0-or-later
# Test stand-in for OpenWrt's /lib/functions.sh (base-files), for tests/pkg: the parts
# iptmon's scripts and the other stand-ins use, behaving as OpenWrt's do. UCI values live in
# CONFIG_<section>_<option> variables; a list is also joined with LIST_SEP (a blank).
N="
"
NO_EXPORT=1
LIST_SEP=" "

append() { # VAR VALUE [SEP]
	local _v _s="${3:- }"
	eval "_v=\${$1}"
	eval "$1=\"\${_v:+\$_v\$_s}\$2\""
}

list_contains() { # VAR WORD
	local _v
	eval "_v=\" \${$1} \""
	[ "${_v%% $2 *}" != "$_v" ]
}

config_set() { # SECTION OPTION VALUE
	eval "CONFIG_$1_$2=\$3"
}

config_get() { # VAR SECTION OPTION [DEFAULT]  |  SECTION OPTION (prints)
	case "$2${3:-$1}" in
	*[!A-Za-z0-9_]*) return 0 ;;
	esac
	if [ -z "$3" ]; then
		eval "echo \"\${CONFIG_$1_$2:-\$4}\""
	else
		eval "$1=\${CONFIG_$2_$3:-\$4}"
	fi
}

get_bool() {
	case "$1" in
	1 | on | true | yes | enabled) echo -n 1 ;;
	0 | off | false | no | disabled) echo -n 0 ;;
	*) echo -n "$2" ;;
	esac
}

config_get_bool() { # VAR SECTION OPTION [DEFAULT]
	local _t
	config_get _t "$2" "$3" "$4"
	eval "$1=\$(get_bool \"\$_t\" \"\$4\")"
}

# The callbacks `uci export` output is evaluated with.
package() { return 0; }
config() {
	CONFIG_NUM_SECTIONS=$((CONFIG_NUM_SECTIONS + 1))
	CONFIG_SECTION=${2:-cfg$CONFIG_NUM_SECTIONS}
	append CONFIG_SECTIONS "$CONFIG_SECTION"
	config_set "$CONFIG_SECTION" TYPE "$1"
}
option() {
	local _name=$1
	shift
	config_set "$CONFIG_SECTION" "$_name" "$*"
}
list() {
	local _name=$1 _len
	shift
	config_get _len "$CONFIG_SECTION" "${_name}_LENGTH" 0
	_len=$((_len + 1))
	config_set "$CONFIG_SECTION" "${_name}_ITEM$_len" "$*"
	config_set "$CONFIG_SECTION" "${_name}_LENGTH" "$_len"
	append "CONFIG_${CONFIG_SECTION}_${_name}" "$*" "$LIST_SEP"
}

config_load() {
	[ -n "$IPKG_INSTROOT" ] && return 0
	uci_load "$@"
}

config_foreach() { # FUNCTION [TYPE] [ARGS...]
	local _fn=$1 _type _s _t
	shift
	_type=$1
	[ $# -ge 1 ] && shift
	for _s in $CONFIG_SECTIONS; do
		config_get _t "$_s" TYPE
		[ -n "$_type" ] && [ "$_t" != "$_type" ] && continue
		"$_fn" "$_s" "$@"
	done
}

config_list_foreach() { # SECTION OPTION FUNCTION [ARGS...]
	local _s=$1 _o=$2 _fn=$3 _len _i=1 _v
	shift 3
	config_get _len "$_s" "${_o}_LENGTH"
	[ -n "$_len" ] || return 0
	while [ "$_i" -le "$_len" ]; do
		config_get _v "$_s" "${_o}_ITEM$_i"
		"$_fn" "$_v" "$@"
		_i=$((_i + 1))
	done
}

# opkg's package scripts: postinst runs the package's uci-defaults (each removed when it
# succeeds), its own postinst part, then enables and starts its init scripts; prerm runs
# its own prerm part, then stops (and, unless upgrading, disables) them.
default_postinst() {
	local pkgname list i ret=0
	pkgname=$(basename "${1%.*}")
	list=/usr/lib/opkg/info/$pkgname.list
	if grep -q "^/etc/uci-defaults/" "$list"; then
		mkdir -p /tmp/.uci
		for i in $(grep "^/etc/uci-defaults/" "$list"); do
			( [ -f "$i" ] && cd "$(dirname "$i")" && . "$i" ) && rm -f "$i"
		done
		uci commit
	fi
	if [ -f "/usr/lib/opkg/info/$pkgname.postinst-pkg" ]; then
		( . "/usr/lib/opkg/info/$pkgname.postinst-pkg" )
		ret=$?
	fi
	for i in $(grep "^/etc/init.d/" "$list"); do
		[ "$PKG_UPGRADE" = 1 ] || "$i" enable
		"$i" start
	done
	return $ret
}

default_prerm() {
	local pkgname list i ret=0
	pkgname=$(basename "${1%.*}")
	list=/usr/lib/opkg/info/$pkgname.list
	if [ -f "/usr/lib/opkg/info/$pkgname.prerm-pkg" ]; then
		( . "/usr/lib/opkg/info/$pkgname.prerm-pkg" )
		ret=$?
	fi
	for i in $(grep "^/etc/init.d/" "$list"); do
		[ "$PKG_UPGRADE" = 1 ] || "$i" disable
		"$i" stop
	done
	return $ret
}

[ -z "$IPKG_INSTROOT" ] && [ -f /lib/config/uci.sh ] && . /lib/config/uci.sh || true
