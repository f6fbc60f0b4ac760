#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Test stand-in for OpenWrt's /usr/lib/dnsmasq/dhcp-script.sh (the dnsmasq package): the
# wrapper dnsmasq runs as its dhcp-script. It hands each event to procd's hotplug with
# dnsmasq's DNSMASQ_* variables and MACADDR, IPADDR, ACTION (and HOSTNAME for leases):
# add/old/del -> dhcp add/update/remove, arp-add/arp-del -> neigh add/remove; tftp and
# anything else is not forwarded here. (A dhcpscript set in UCI would be sourced first.)
[ -f "$USER_DHCPSCRIPT" ] && . "$USER_DHCPSCRIPT" "$@"
vars=$(env | grep '^DNSMASQ_')
case "$1" in
add) subsys=dhcp action=add ;;
del) subsys=dhcp action=remove ;;
old) subsys=dhcp action=update ;;
arp-add) subsys=neigh action=add ;;
arp-del) subsys=neigh action=remove ;;
*) exit 0 ;;
esac
mac=$2 ip=$3 name=$4
set -f
IFS='
'
set -- $vars
unset IFS
set -- "$@" "MACADDR=$mac" "IPADDR=$ip" "ACTION=$action"
[ "$subsys" = dhcp ] && set -- "$@" "HOSTNAME=$name"
exec /sbin/hotplug-call "$subsys" "$@"
