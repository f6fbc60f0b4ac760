# SPDX-License-Identifier: GPL-2.0-or-later
# Test stand-in for OpenWrt's procd.sh (package/system/procd): instead of a ubus message to
# procd, procd_close_service writes the service (instances, their parameters, triggers) to
# /tmp/procd/SERVICE, one "KEY VALUE..." line each; tests/pkg's harness plays procd with it
# (starts, restarts on a changed instance, stops). As procd does: `set` replaces the
# service's instances; `file` records each file's md5 (a changed file restarts the
# instance); a respawn without values takes system.@service[0]'s or 3600 5 5.
_PROCD_SVC=
_PROCD_OUT=

procd_open_service() {
	_PROCD_SVC=$1
	_PROCD_SEQ=0
	_PROCD_OUT=/tmp/procd/$1.new
	mkdir -p /tmp/procd
	echo "service $1 ${2:-}" >"$_PROCD_OUT"
}

procd_close_service() {
	service_triggers
	echo "method ${1:-set}" >>"$_PROCD_OUT"
	mv "$_PROCD_OUT" "/tmp/procd/$_PROCD_SVC"
}

procd_open_instance() {
	_PROCD_SEQ=$((_PROCD_SEQ + 1))
	_PROCD_RESPAWN=
	echo "instance ${1:-instance$_PROCD_SEQ}" >>"$_PROCD_OUT"
}

procd_set_param() {
	local type=$1 f
	shift
	case "$type" in
	file)
		for f in "$@"; do
			echo "file $f $(md5sum "$f" 2>/dev/null | cut -d' ' -f1)" >>"$_PROCD_OUT"
		done
		;;
	respawn)
		[ $# -gt 0 ] || set -- $(uci -q get system.@service[0].respawn_threshold || echo 3600) \
			$(uci -q get system.@service[0].respawn_timeout || echo 5) \
			$(uci -q get system.@service[0].respawn_retry || echo 5)
		echo "respawn $*" >>"$_PROCD_OUT"
		;;
	env | data | limits)
		for f in "$@"; do echo "$type $f" >>"$_PROCD_OUT"; done
		;;
	*)
		echo "$type $*" >>"$_PROCD_OUT"
		;;
	esac
}
procd_append_param() { procd_set_param "$@"; }
procd_close_instance() { echo "end" >>"$_PROCD_OUT"; }

procd_add_reload_trigger() {
	local p
	for p in "$@"; do
		echo "trigger config.change $p /etc/init.d/$_PROCD_SVC reload" >>"$_PROCD_OUT"
	done
}
procd_open_trigger() { :; }
procd_close_trigger() { :; }

procd_kill() { rm -f "/tmp/procd/$1"; }
procd_send_signal() { echo "signal ${2:-*} ${3:-HUP}" >>"/tmp/procd/$1.signals"; }
procd_running() { [ -f "/tmp/procd/$1" ]; }
