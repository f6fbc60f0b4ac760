#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/pkg/opkg.sh install|remove ROOT PACKAGE: what opkg does with the feed's package
# (iptmon-nftables or iptmon-iptables) in ROOT (made by openwrt-root.sh), its scripts run as
# `chroot ROOT ...` after the caller's $OW_EXEC (e.g. "ip netns exec NS"). The files, their
# modes and destinations, the conffiles and the package scripts come from
# openwrt/iptmon/Makefile itself (Package/PACKAGE/install, /conffiles, /postinst, /prerm,
# /postrm); the scripts are wrapped as OpenWrt's package build wraps them
# (default_postinst and default_prerm of /lib/functions.sh run the package's own parts).
set -eu
op=$1
root=$2
pkg=$3
top=$(cd "$(dirname "$0")/../.." && pwd)
mk=$top/openwrt/iptmon/Makefile
info=$root/usr/lib/opkg/info
ow() { ${OW_EXEC:-} chroot "$root" "$@"; }
define() { # PART: the body of Package/$pkg/PART (`define`, or an alias of one), $$ as $
	local n="Package/$pkg/$1" alias
	alias=$(sed -n "s|^$n = \$(\(.*\))\$|\1|p" "$mk")
	[ -n "$alias" ] && n=$alias
	grep -qx "define $n" "$mk" || { echo "opkg.sh: no Package/$pkg/$1 in $mk" >&2; exit 1; }
	awk -v n="$n" '$0 == "define " n { on = 1; next } on && $0 == "endef" { exit } on { print }' "$mk" | sed 's/\$\$/$/g'
}
case "$op" in
install)
	grep -qx "\$(eval \$(call BuildPackage,$pkg))" "$mk" || { echo "opkg.sh: no package $pkg" >&2; exit 1; }
	: >"$info/$pkg.list"
	define install | sed 's/^\t//' | awk '
		{ line = line $0 }
		/\\$/ { sub(/\\$/, "", line); next }
		{ print line; line = "" }' | while read -r cmd a b c; do
		case "$cmd" in
		'$(INSTALL_DIR)')
			for d in $a $b $c; do mkdir -p "$root${d#\$(1)}"; done
			;;
		'$(INSTALL_BIN)' | '$(INSTALL_CONF)' | '$(INSTALL_DATA)')
			case "$cmd" in *BIN*) mode=0755 ;; *CONF*) mode=0600 ;; *) mode=0644 ;; esac
			case "$a" in
			'$(PKG_BUILD_DIR)/iptmon') src=$root/usr/sbin/iptmon.built ;;
			./files/*) src=$top/openwrt/iptmon/${a#./} ;;
			*) echo "opkg.sh: unknown source $a" >&2; exit 1 ;;
			esac
			dst=${b#\$(1)}
			install -m "$mode" "$src" "$root$dst"
			echo "$dst" >>"$info/$pkg.list"
			;;
		'') ;;
		*) echo "opkg.sh: unknown install line: $cmd $a $b $c" >&2; exit 1 ;;
		esac
	done
	for s in postinst prerm; do
		define "$s" >"$info/$pkg.$s-pkg"
		printf '#!/bin/sh\n[ "${IPKG_NO_SCRIPT}" = "1" ] && exit 0\n[ -s ${IPKG_INSTROOT}/lib/functions.sh ] || exit 0\n. ${IPKG_INSTROOT}/lib/functions.sh\ndefault_%s $0 $@\n' "$s" >"$info/$pkg.$s"
		chmod 0755 "$info/$pkg.$s"
	done
	define postrm >"$info/$pkg.postrm"
	chmod 0755 "$info/$pkg.postrm"
	define conffiles >"$info/$pkg.conffiles"
	ow "/usr/lib/opkg/info/$pkg.postinst"
	;;
remove)
	ow "/usr/lib/opkg/info/$pkg.prerm"
	# conffiles stay (opkg keeps changed ones; ours are changed by the test)
	while read -r f; do
		grep -qx "$f" "$info/$pkg.conffiles" || rm -f "$root$f"
	done <"$info/$pkg.list"
	ow "/usr/lib/opkg/info/$pkg.postrm"
	rm -f "$info/$pkg".*
	;;
esac
