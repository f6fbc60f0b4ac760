// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for src/dhcp.c: dnsmasq's script arguments and the name an event counts under. */
#include "testutil.h"

#include "dhcp.h"

#define M1 "02:00:00:00:00:01"
#define M2 "02:00:00:00:00:02"
#define DUID_LLT_M5 "00:01:00:01:2c:8e:3a:1b:02:00:00:00:00:05"
#define DUID_EN "00:02:00:00:ab:11:01:02:03:04:05:06"

/* The fake environment event_parse() reads through its getenv_fn. */
static const char *env_mac, *env_old;
static unsigned int env_asked;

static const char *fake_getenv(const char *k)
{
	env_asked++;
	if (!strcmp(k, "DNSMASQ_MAC"))
		return env_mac;
	if (!strcmp(k, "DNSMASQ_OLD_HOSTNAME"))
		return env_old;
	return NULL;
}

static int reset_env(void **state)
{
	env_mac = NULL;
	env_old = NULL;
	env_asked = 0;
	return 0;
}

#define ARGV(...) ((char *[]){ __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(ev, ...) event_parse(ev, ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), fake_getenv)

static struct addr A(const char *s)
{
	struct addr a;

	if (addr_parse(&a, s))
		fail_msg("test setup: cannot parse address '%s'", s);
	return a;
}

static void assert_addr(const struct addr *a, const char *s)
{
	struct addr b = A(s);

	if (!addr_equal(a, &b))
		fail_msg("address is not %s", s);
}

/* ---- event_parse ---- */

static void test_kind_parse(void **state)
{
	static const char *const bad[] = { "init", "tftp", "ADD", "add ", "", "arp", "arp-",
					   "relay-snoop" };

	assert_int_equal(event_kind_parse("add"), EV_ADD);
	assert_int_equal(event_kind_parse("old"), EV_OLD);
	assert_int_equal(event_kind_parse("del"), EV_DEL);
	assert_int_equal(event_kind_parse("arp-add"), EV_ARP_ADD);
	assert_int_equal(event_kind_parse("arp-old"), EV_ARP_OLD);
	assert_int_equal(event_kind_parse("arp-del"), EV_ARP_DEL);
	for (size_t i = 0; i < TU_ARRAY_SIZE(bad); i++)
		assert_int_equal(event_kind_parse(bad[i]), -1);

	assert_false(event_is_arp(EV_ADD));
	assert_false(event_is_arp(EV_OLD));
	assert_false(event_is_arp(EV_DEL));
	assert_true(event_is_arp(EV_ARP_ADD));
	assert_true(event_is_arp(EV_ARP_OLD));
	assert_true(event_is_arp(EV_ARP_DEL));
	assert_false(event_is_delete(EV_ADD));
	assert_false(event_is_delete(EV_OLD));
	assert_true(event_is_delete(EV_DEL));
	assert_false(event_is_delete(EV_ARP_ADD));
	assert_false(event_is_delete(EV_ARP_OLD));
	assert_true(event_is_delete(EV_ARP_DEL));
}

static void test_parse_add_old_del(void **state)
{
	struct event ev;

	assert_int_equal(PARSE(&ev, "add", M1, "192.168.88.101", "pc"), 0);
	assert_int_equal(ev.kind, EV_ADD);
	assert_string_equal(ev.mac, M1);
	assert_addr(&ev.addr, "192.168.88.101");
	assert_string_equal(ev.name, "pc");
	assert_false(ev.rename_pending);

	assert_int_equal(PARSE(&ev, "old", "02:AA:BB:CC:DD:EE", "192.168.88.101", "pc-laptop"),
			 0);
	assert_int_equal(ev.kind, EV_OLD);
	assert_string_equal(ev.mac, "02:aa:bb:cc:dd:ee");
	assert_string_equal(ev.name, "pc-laptop");
	assert_false(ev.rename_pending);

	assert_int_equal(PARSE(&ev, "del", M1, "192.168.88.101"), 0);
	assert_int_equal(ev.kind, EV_DEL);
	assert_string_equal(ev.mac, M1);
	assert_string_equal(ev.name, "");

	/* dnsmasq's "no name" */
	assert_int_equal(PARSE(&ev, "add", M1, "192.168.88.101", "*"), 0);
	assert_string_equal(ev.name, "");
	assert_int_equal(PARSE(&ev, "add", M1, "192.168.88.101", ""), 0);
	assert_string_equal(ev.name, "");
}

static void test_parse_arp(void **state)
{
	static const struct {
		const char *action;
		enum event_kind kind;
	} t[] = { { "arp-add", EV_ARP_ADD }, { "arp-old", EV_ARP_OLD }, { "arp-del", EV_ARP_DEL } };
	struct event ev;

	for (size_t i = 0; i < TU_ARRAY_SIZE(t); i++) {
		assert_int_equal(PARSE(&ev, (char *)t[i].action, M1, "192.168.88.101"), 0);
		assert_int_equal(ev.kind, t[i].kind);
		assert_string_equal(ev.mac, M1);
		assert_addr(&ev.addr, "192.168.88.101");
		assert_string_equal(ev.name, "");
		/* a 4th argument is no hostname for arp events */
		assert_int_equal(PARSE(&ev, (char *)t[i].action, M1, "fd00::11", "evil;name"), 0);
		assert_int_equal(ev.kind, t[i].kind);
		assert_addr(&ev.addr, "fd00::11");
		assert_string_equal(ev.name, "");
		assert_false(ev.rename_pending);
	}
}

static void test_parse_errors(void **state)
{
	static const char *const bad_addrs[] = { "192.168.88.300", "", "fd00::/64", "pc",
						 "192.168.88.101 ", "*" };
	struct event ev;

	assert_int_equal(event_parse(&ev, 2, ARGV("add", M1), fake_getenv), -EINVAL);
	assert_int_equal(event_parse(&ev, 1, ARGV("add"), fake_getenv), -EINVAL);
	assert_int_equal(event_parse(&ev, 0, ARGV("add"), fake_getenv), -EINVAL);
	for (size_t i = 0; i < TU_ARRAY_SIZE(bad_addrs); i++) {
		int ret = PARSE(&ev, "add", M1, (char *)bad_addrs[i], "pc");

		if (ret != -EINVAL)
			fail_msg("address '%s': %d, want -EINVAL", bad_addrs[i], ret);
	}
	assert_int_equal(PARSE(&ev, "tftp", "1234", "192.168.88.101", "/srv/tftp/pxelinux.0"),
			 -ENOENT);
	assert_int_equal(PARSE(&ev, "init", "x", "192.168.88.101"), -ENOENT);
	assert_int_equal(PARSE(&ev, "ADD", M1, "192.168.88.101"), -ENOENT);
	assert_int_equal(PARSE(&ev, "", M1, "192.168.88.101"), -ENOENT);
}

static void test_parse_v4_mac(void **state)
{
	struct event ev;

	/* argv[1] is the MAC for DHCPv4; DNSMASQ_MAC does not override it */
	env_mac = M2;
	assert_int_equal(PARSE(&ev, "add", M1, "192.168.88.101", "pc"), 0);
	assert_string_equal(ev.mac, M1);
	/* a non-Ethernet hardware address: DNSMASQ_MAC, else none */
	assert_int_equal(PARSE(&ev, "add", "20:00:01:02:03:04:05:06:07", "192.168.88.8"), 0);
	assert_string_equal(ev.mac, M2);
	env_mac = NULL;
	assert_int_equal(PARSE(&ev, "add", "20:00:01:02:03:04:05:06:07", "192.168.88.8"), 0);
	assert_string_equal(ev.mac, "");
}

static void test_parse_v6_duid(void **state)
{
	struct event ev;

	/* DHCPv6: argv[1] is the DUID; the MAC comes from DNSMASQ_MAC */
	env_mac = M2;
	assert_int_equal(PARSE(&ev, "add", DUID_EN, "fd00::11", "pc"), 0);
	assert_int_equal(ev.kind, EV_ADD);
	assert_string_equal(ev.mac, M2);
	assert_addr(&ev.addr, "fd00::11");
	assert_string_equal(ev.name, "pc");
	/* DNSMASQ_MAC wins over the MAC inside a DUID-LLT */
	assert_int_equal(PARSE(&ev, "add", DUID_LLT_M5, "fd00::11", "pc"), 0);
	assert_string_equal(ev.mac, M2);
	/* upper case in the environment */
	env_mac = "02:AB:CD:00:00:02";
	assert_int_equal(PARSE(&ev, "old", DUID_EN, "fd00::11", "pc"), 0);
	assert_string_equal(ev.mac, "02:ab:cd:00:00:02");
	/* no (usable) DNSMASQ_MAC: the DUID-LLT's MAC, else none */
	env_mac = NULL;
	assert_int_equal(PARSE(&ev, "old", DUID_LLT_M5, "fd00::11", "pc"), 0);
	assert_string_equal(ev.mac, "02:00:00:00:00:05");
	assert_int_equal(PARSE(&ev, "old", DUID_EN, "fd00::11", "pc"), 0);
	assert_string_equal(ev.mac, "");
	env_mac = "garbage";
	assert_int_equal(PARSE(&ev, "del", DUID_EN, "fd00::11"), 0);
	assert_string_equal(ev.mac, "");
	assert_int_equal(PARSE(&ev, "del", DUID_LLT_M5, "fd00::11"), 0);
	assert_string_equal(ev.mac, "02:00:00:00:00:05");
	env_mac = "";
	assert_int_equal(PARSE(&ev, "del", DUID_EN, "fd00::11"), 0);
	assert_string_equal(ev.mac, "");
}

/*
 * For DHCPv6, argv[1] is the client's DUID, which the client chooses: a 6-byte DUID such as
 * "aa:bb:cc:dd:ee:ff" is not a MAC and never overrides DNSMASQ_MAC (once a bug, fixed: argv[1]
 * went through mac_parse() for every event). For IPv6 it only goes through duid_mac().
 */
static void test_parse_v6_duid_never_taken_as_mac(void **state)
{
	struct event ev;

	env_mac = M2;
	assert_int_equal(PARSE(&ev, "add", M1, "fd00::12", "phone"), 0);
	assert_string_equal(ev.mac, M2);
}

static void test_parse_rename_pending(void **state)
{
	struct event ev;

	env_old = "oldname";
	assert_int_equal(PARSE(&ev, "old", M1, "192.168.88.101"), 0);
	assert_true(ev.rename_pending);
	assert_string_equal(ev.name, "");
	assert_int_equal(PARSE(&ev, "old", M1, "192.168.88.101", "*"), 0);
	assert_true(ev.rename_pending);
	/* named, or not an "old": no rename */
	assert_int_equal(PARSE(&ev, "old", M1, "192.168.88.101", "newname"), 0);
	assert_false(ev.rename_pending);
	assert_int_equal(PARSE(&ev, "add", M1, "192.168.88.101"), 0);
	assert_false(ev.rename_pending);
	assert_int_equal(PARSE(&ev, "del", M1, "192.168.88.101"), 0);
	assert_false(ev.rename_pending);
	assert_int_equal(PARSE(&ev, "arp-old", M1, "192.168.88.101"), 0);
	assert_false(ev.rename_pending);
	/* empty or unset DNSMASQ_OLD_HOSTNAME */
	env_old = "";
	assert_int_equal(PARSE(&ev, "old", M1, "192.168.88.101"), 0);
	assert_false(ev.rename_pending);
	env_old = NULL;
	assert_int_equal(PARSE(&ev, "old", M1, "192.168.88.101"), 0);
	assert_false(ev.rename_pending);
	assert_true(env_asked > 0);
}

static void test_parse_hostile_hostname(void **state)
{
	static const char *const hostile[] = { "$(reboot)", "a;rm -rf /", "`id`", "a b",
					       "x\ny", "%n%s", "J\xc3\xbcrgen's iPhone" };
	struct event ev;
	char want[NAME_SIZE];
	char longname[300];

	for (size_t i = 0; i < TU_ARRAY_SIZE(hostile); i++) {
		assert_int_equal(PARSE(&ev, "add", M1, "192.168.88.101", (char *)hostile[i]), 0);
		assert_int_equal(name_sanitize(hostile[i], want), 0);
		assert_string_equal(ev.name, want);
		assert_true(name_is_valid(ev.name));
	}
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(PARSE(&ev, "add", M1, "192.168.88.101", longname), 0);
	assert_int_equal(strlen(ev.name), NAME_MAX_LEN);
	assert_true(name_is_valid(ev.name));
}

/* ---- event_resolve_name ---- */

static void add_lease(struct leases *l, const char *line)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		assert_non_null(l->v);
	}
	assert_int_equal(leases_parse_line(&l->v[l->n], line), 0);
	l->n++;
}

static void ev_make(struct event *ev, enum event_kind kind, const char *mac, const char *addr,
		    const char *name)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	snprintf(ev->mac, sizeof(ev->mac), "%s", mac);
	ev->addr = A(addr);
	snprintf(ev->name, sizeof(ev->name), "%s", name);
}

static void upsert(struct hostset *s, const char *name, const char *addr)
{
	struct addr a = A(addr);

	assert_true(hostset_upsert(s, name, &a) >= 0);
}

/* NAME + "_" + 8 hex digits of FNV-1a 32 of MAC, computed independently. */
static void alt_name(char out[NAME_SIZE], const char *name, const char *mac)
{
	snprintf(out, NAME_SIZE, "%.*s_%08x", NAME_MAX_LEN - NAME_HASH_LEN, name,
		 (unsigned int)tu_fnv1a(mac));
}

static void test_resolve_given_name(void **state)
{
	struct leases l = { 0 };
	struct hostset cur = { 0 };
	struct event ev;
	char out[NAME_SIZE];

	add_lease(&l, "1700000000 " M1 " 192.168.88.101 leasename *");
	ev_make(&ev, EV_ADD, M1, "192.168.88.101", "pc");
	assert_int_equal(event_resolve_name(&ev, &l, &cur, NULL, out), 0);
	assert_string_equal(out, "pc");
	ev_make(&ev, EV_OLD, "", "fd00::11", "pc");
	assert_int_equal(event_resolve_name(&ev, &l, &cur, NULL, out), 0);
	assert_string_equal(out, "pc");
	hostset_free(&cur);
	leases_free(&l);
}

static void test_resolve_lease_name(void **state)
{
	struct leases l = { 0 };
	struct hostset cur = { 0 };
	struct event ev;
	char out[NAME_SIZE];

	add_lease(&l, "1700000000 " M1 " 192.168.88.150 laptop *");
	add_lease(&l, "1700000000 12345 fd00::55 v6name 00:02:00:00:ab:11:01:02:03:04");
	/* nameless: the lease's name for the MAC, wherever that lease is */
	ev_make(&ev, EV_ADD, M1, "192.168.88.101", "");
	assert_int_equal(event_resolve_name(&ev, &l, &cur, NULL, out), 0);
	assert_string_equal(out, "laptop");
	ev_make(&ev, EV_ARP_ADD, M1, "fd00::99", "");
	assert_int_equal(event_resolve_name(&ev, &l, &cur, NULL, out), 0);
	assert_string_equal(out, "laptop");
	/* no MAC: the lease's name for the address */
	ev_make(&ev, EV_OLD, "", "fd00::55", "");
	assert_int_equal(event_resolve_name(&ev, &l, &cur, NULL, out), 0);
	assert_string_equal(out, "v6name");
	ev_make(&ev, EV_ARP_OLD, M2, "fd00::55", "");
	assert_int_equal(event_resolve_name(&ev, &l, &cur, NULL, out), 0);
	assert_string_equal(out, "v6name");
	hostset_free(&cur);
	leases_free(&l);
}

static void test_resolve_address_as_name(void **state)
{
	struct leases l = { 0 };
	struct hostset cur = { 0 };
	struct event ev;
	char out[NAME_SIZE];

	add_lease(&l, "1700000000 " M2 " 192.168.88.102 * *");
	ev_make(&ev, EV_ADD, M1, "192.168.88.101", "");
	assert_int_equal(event_resolve_name(&ev, &l, &cur, NULL, out), 0);
	assert_string_equal(out, "192.168.88.101");
	ev_make(&ev, EV_OLD, "", "fd00::11", "");
	assert_int_equal(event_resolve_name(&ev, &l, &cur, NULL, out), 0);
	assert_string_equal(out, "fd00::11");
	/* a nameless lease gives no name either */
	ev_make(&ev, EV_ADD, M2, "192.168.88.102", "");
	assert_int_equal(event_resolve_name(&ev, &l, &cur, NULL, out), 0);
	assert_string_equal(out, "192.168.88.102");
	assert_true(name_is_valid(out));
	hostset_free(&cur);
	leases_free(&l);
}

static void test_resolve_arp_without_lease(void **state)
{
	struct leases l = { 0 };
	struct hostset cur = { 0 };
	struct event ev;
	char out[NAME_SIZE];

	ev_make(&ev, EV_ARP_ADD, M1, "192.168.88.101", "");
	assert_int_equal(event_resolve_name(&ev, &l, &cur, NULL, out), 1);
	ev_make(&ev, EV_ARP_OLD, "", "fd00::11", "");
	assert_int_equal(event_resolve_name(&ev, &l, &cur, NULL, out), 1);
	/* a nameless lease is no name */
	add_lease(&l, "1700000000 " M1 " 192.168.88.101 * *");
	ev_make(&ev, EV_ARP_ADD, M1, "192.168.88.101", "");
	assert_int_equal(event_resolve_name(&ev, &l, &cur, NULL, out), 1);
	hostset_free(&cur);
	leases_free(&l);
}

static void test_resolve_clash(void **state)
{
	struct leases l = { 0 };
	struct hostset cur = { 0 };
	struct event ev;
	char out[NAME_SIZE], alt[NAME_SIZE];

	add_lease(&l, "1700000000 " M1 " 192.168.88.101 phone *");
	add_lease(&l, "1700000000 " M2 " 192.168.88.102 phone *");
	upsert(&cur, "phone", "192.168.88.101");
	alt_name(alt, "phone", M2);
	assert_int_equal(strlen(alt), strlen("phone") + NAME_HASH_LEN);
	assert_true(name_is_valid(alt));

	/* another device (M2) asks for "phone": it gets phone_<hash of M2> */
	ev_make(&ev, EV_ADD, M2, "192.168.88.102", "phone");
	assert_int_equal(event_resolve_name(&ev, &l, &cur, NULL, out), 0);
	assert_string_equal(out, alt);

	/* the same again once phone_<hash> is counted: the same name */
	upsert(&cur, out, "192.168.88.102");
	assert_int_equal(event_resolve_name(&ev, &l, &cur, NULL, out), 0);
	assert_string_equal(out, alt);
	ev_make(&ev, EV_OLD, M2, "192.168.88.102", "phone");
	assert_int_equal(event_resolve_name(&ev, &l, &cur, NULL, out), 0);
	assert_string_equal(out, alt);
	/* and at a new address */
	ev_make(&ev, EV_ADD, M2, "192.168.88.103", "phone");
	assert_int_equal(event_resolve_name(&ev, &l, &cur, NULL, out), 0);
	assert_string_equal(out, alt);
	/* a nameless event whose lease says "phone" */
	ev_make(&ev, EV_OLD, M2, "192.168.88.102", "");
	assert_int_equal(event_resolve_name(&ev, &l, &cur, NULL, out), 0);
	assert_string_equal(out, alt);

	/* the first device (M1) at a new address keeps "phone" */
	ev_make(&ev, EV_ADD, M1, "192.168.88.105", "phone");
	assert_int_equal(event_resolve_name(&ev, &l, &cur, NULL, out), 0);
	assert_string_equal(out, "phone");
	ev_make(&ev, EV_OLD, M1, "192.168.88.101", "phone");
	assert_int_equal(event_resolve_name(&ev, &l, &cur, NULL, out), 0);
	assert_string_equal(out, "phone");

	/* without a MAC there is nothing to tell devices apart */
	ev_make(&ev, EV_ADD, "", "fd00::77", "phone");
	assert_int_equal(event_resolve_name(&ev, &l, &cur, NULL, out), 0);
	assert_string_equal(out, "phone");

	hostset_free(&cur);
	leases_free(&l);
}

static void test_resolve_clash_first_time_no_alt_yet(void **state)
{
	struct leases l = { 0 };
	struct hostset cur = { 0 };
	struct event ev;
	char out[NAME_SIZE], alt[NAME_SIZE];

	/* only the holder's lease is known; M2's lease is not written yet */
	add_lease(&l, "1700000000 " M1 " 192.168.88.101 phone *");
	upsert(&cur, "phone", "192.168.88.101");
	ev_make(&ev, EV_ADD, M2, "192.168.88.102", "phone");
	alt_name(alt, "phone", M2);
	assert_int_equal(event_resolve_name(&ev, &l, &cur, NULL, out), 0);
	assert_string_equal(out, alt);
	/* the holder's lease names it by a v6 address only: still its MAC */
	hostset_free(&cur);
	leases_free(&l);
	add_lease(&l, "1700000000 12345 fd00::101 phone " DUID_LLT_M5);
	upsert(&cur, "phone", "fd00::101");
	alt_name(alt, "phone", M2);
	assert_int_equal(event_resolve_name(&ev, &l, &cur, NULL, out), 0);
	assert_string_equal(out, alt);
	/* and the DUID's own device keeps the name */
	ev_make(&ev, EV_ADD, "02:00:00:00:00:05", "192.168.88.105", "phone");
	assert_int_equal(event_resolve_name(&ev, &l, &cur, NULL, out), 0);
	assert_string_equal(out, "phone");
	hostset_free(&cur);
	leases_free(&l);
}

static void test_resolve_clash_long_name(void **state)
{
	struct leases l = { 0 };
	struct hostset cur = { 0 };
	struct event ev;
	char out[NAME_SIZE], alt[NAME_SIZE], name[NAME_SIZE];

	memset(name, 'n', NAME_MAX_LEN);
	name[NAME_MAX_LEN] = '\0';
	add_lease(&l, "1700000000 " M1 " 192.168.88.101 * *");
	upsert(&cur, name, "192.168.88.101");
	ev_make(&ev, EV_ADD, M2, "192.168.88.102", name);
	alt_name(alt, name, M2);
	assert_int_equal(strlen(alt), NAME_MAX_LEN);
	assert_int_equal(event_resolve_name(&ev, &l, &cur, NULL, out), 0);
	assert_string_equal(out, alt);
	assert_true(name_is_valid(out));
	assert_string_not_equal(out, name);
	hostset_free(&cur);
	leases_free(&l);
}

static void test_resolve_holder_address(void **state)
{
	struct leases l = { 0 };
	struct hostset cur = { 0 };
	struct event ev;
	char out[NAME_SIZE];

	/* the event's address already belongs to the holder: it stays there */
	add_lease(&l, "1700000000 " M1 " 192.168.88.101 phone *");
	upsert(&cur, "phone", "192.168.88.101");
	ev_make(&ev, EV_OLD, M2, "192.168.88.101", "phone");
	assert_int_equal(event_resolve_name(&ev, &l, &cur, NULL, out), 0);
	assert_string_equal(out, "phone");
	/* another name entirely is never changed */
	ev_make(&ev, EV_ADD, M2, "192.168.88.102", "tablet");
	assert_int_equal(event_resolve_name(&ev, &l, &cur, NULL, out), 0);
	assert_string_equal(out, "tablet");
	hostset_free(&cur);
	leases_free(&l);
}

static void test_resolve_holder_without_lease(void **state)
{
	struct leases l = { 0 };
	struct hostset cur = { 0 };
	struct event ev;
	char out[NAME_SIZE];

	/*
	 * The holder's MAC is unknown (a static host, or its lease expired): there is no proof
	 * of another device, so the name is shared. This documents the current policy.
	 */
	upsert(&cur, "phone", "192.168.88.50");
	ev_make(&ev, EV_ADD, M2, "192.168.88.102", "phone");
	assert_int_equal(event_resolve_name(&ev, &l, &cur, NULL, out), 0);
	assert_string_equal(out, "phone");
	hostset_free(&cur);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_kind_parse, reset_env),
		cmocka_unit_test_setup(test_parse_add_old_del, reset_env),
		cmocka_unit_test_setup(test_parse_arp, reset_env),
		cmocka_unit_test_setup(test_parse_errors, reset_env),
		cmocka_unit_test_setup(test_parse_v4_mac, reset_env),
		cmocka_unit_test_setup(test_parse_v6_duid, reset_env),
		cmocka_unit_test_setup(test_parse_v6_duid_never_taken_as_mac, reset_env),
		cmocka_unit_test_setup(test_parse_rename_pending, reset_env),
		cmocka_unit_test_setup(test_parse_hostile_hostname, reset_env),
		cmocka_unit_test_setup(test_resolve_given_name, reset_env),
		cmocka_unit_test_setup(test_resolve_lease_name, reset_env),
		cmocka_unit_test_setup(test_resolve_address_as_name, reset_env),
		cmocka_unit_test_setup(test_resolve_arp_without_lease, reset_env),
		cmocka_unit_test_setup(test_resolve_clash, reset_env),
		cmocka_unit_test_setup(test_resolve_clash_first_time_no_alt_yet, reset_env),
		cmocka_unit_test_setup(test_resolve_clash_long_name, reset_env),
		cmocka_unit_test_setup(test_resolve_holder_address, reset_env),
		cmocka_unit_test_setup(test_resolve_holder_without_lease, reset_env),
	};

	tu_init();
	return cmocka_run_group_tests_name("dhcp", tests, NULL, NULL);
}
