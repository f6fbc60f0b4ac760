// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for host discovery: neighbour messages parsed (src/neigh.c), the lease, hosts
 * and odhcpd lines (hostile, broken, half-written), and the decisions (src/discover.c):
 * names by MAC then address, the MAC-derived name, renames that keep counts, addresses
 * that move to another MAC, the grace time.
 */
#include "testutil.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include "discover.h"
#include "neigh.h"
#include "plan.h"

static struct config cfg;

static int group_setup(void **state)
{
	(void)state;
	config_defaults(&cfg);
	cfg.discover_grace = 10;
	return 0;
}

/* ---- neigh_parse --------------------------------------------------------------------- */

static struct nlmsghdr *msg(char *buf, uint16_t type, uint8_t family, const void *dst,
			    size_t dlen, const void *ll, size_t llen, uint16_t state)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ndmsg *nd;

	nlh->nlmsg_type = type;
	nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));
	nd->ndm_family = family;
	nd->ndm_ifindex = 7;
	nd->ndm_state = state;
	mnl_attr_put_u32(nlh, NDA_PROBES, 3); /* an attribute iptmon does not use */
	if (dst)
		mnl_attr_put(nlh, NDA_DST, dlen, dst);
	if (ll)
		mnl_attr_put(nlh, NDA_LLADDR, llen, ll);
	return nlh;
}

static void test_neigh_parse(void **state)
{
	char buf[512], as[ADDR_STRLEN];
	unsigned char mac[6] = { 2, 0, 0, 0, 0x88, 0xab }, v6[16], v4[4] = { 192, 168, 88, 5 };
	struct neigh_msg m;

	(void)state;
	inet_pton(AF_INET6, "fd00:88::5", v6);
	assert_int_equal(neigh_parse(msg(buf, RTM_NEWNEIGH, AF_INET, v4, 4, mac, 6, NUD_REACHABLE), &m), 0);
	assert_int_equal(m.ifindex, 7);
	assert_string_equal(addr_format(&m.addr, as, sizeof(as)), "192.168.88.5");
	assert_string_equal(m.mac, "02:00:00:00:88:ab");
	assert_int_equal(m.state, NUD_REACHABLE);
	assert_false(m.deleted);
	assert_int_equal(neigh_parse(msg(buf, RTM_DELNEIGH, AF_INET6, v6, 16, mac, 6, NUD_STALE), &m), 0);
	assert_true(m.deleted);
	assert_string_equal(addr_format(&m.addr, as, sizeof(as)), "fd00:88::5");
	/* No link-layer address yet (INCOMPLETE): an address without a MAC. */
	assert_int_equal(neigh_parse(msg(buf, RTM_NEWNEIGH, AF_INET, v4, 4, NULL, 0, NUD_INCOMPLETE), &m), 0);
	assert_string_equal(m.mac, "");
	/* Skipped: bridge FDB entries, no address, a link layer that is not Ethernet's. */
	assert_int_equal(neigh_parse(msg(buf, RTM_NEWNEIGH, AF_BRIDGE, NULL, 0, mac, 6, 0), &m), 1);
	assert_int_equal(neigh_parse(msg(buf, RTM_NEWNEIGH, AF_INET, NULL, 0, mac, 6, 0), &m), 1);
	assert_int_equal(neigh_parse(msg(buf, RTM_NEWNEIGH, AF_INET, v4, 4, mac, 4, 0), &m), 1);
	assert_int_equal(neigh_parse(msg(buf, RTM_NEWLINK, AF_INET, v4, 4, mac, 6, 0), &m), 1);
	/* Malformed: an IPv4 neighbour with a 16-byte address. */
	assert_int_equal(neigh_parse(msg(buf, RTM_NEWNEIGH, AF_INET, v6, 16, mac, 6, 0), &m), -EINVAL);
	/* A length above INT_MAX passes libmnl's signed check (mnl_nlmsg_ok, mnl_cb_run): the
	 * fuzzer's message, read past its end before neigh_parse refused it. */
	{
		struct nlmsghdr *nlh = msg(buf, RTM_NEWNEIGH, AF_INET, v4, 4, mac, 6, 0);

		nlh->nlmsg_len = 0x80000010u;
		assert_int_equal(neigh_parse(nlh, &m), -EINVAL);
	}
}

/* ---- name files ---------------------------------------------------------------------- */

static void test_parse_lease(void **state)
{
	struct lease le;
	bool used;

	(void)state;
	assert_int_equal(disc_parse_lease("1700000000 02:00:00:00:88:01 192.168.88.101 pc 01:02:00:00:00:88:01\n", &le, &used), 0);
	assert_true(used);
	assert_string_equal(le.name, "pc");
	assert_string_equal(le.mac, "02:00:00:00:88:01");
	assert_int_equal(disc_parse_lease("duid 00:01:00:01:2b:00:00:01:02:00:00:00:00:01\n", &le, &used), 0);
	assert_false(used);
	assert_int_equal(disc_parse_lease("   \n", &le, &used), 0);
	assert_false(used);
	/* DHCPv6: the MAC from a DUID-LL */
	assert_int_equal(disc_parse_lease("1700000000 1234 fd00:88::100 pc 00:03:00:01:02:00:00:00:88:01\n", &le, &used), 0);
	assert_string_equal(le.mac, "02:00:00:00:88:01");
	assert_string_equal(le.name, "pc");
	/* Hostile names are made safe, not taken as they are. */
	assert_int_equal(disc_parse_lease("1700000000 02:00:00:00:88:01 192.168.88.101 $(reboot);x *\n", &le, &used), 0);
	assert_true(name_is_valid(le.name));
	assert_null(strchr(le.name, '$'));
	/* Malformed: cut short, a bad expiry, a bad address, a bad IAID. */
	assert_int_equal(disc_parse_lease("1700000000 02:00:00:00:88:01 192.168.88.101\n", &le, &used), -EINVAL);
	assert_int_equal(disc_parse_lease("soon 02:00:00:00:88:01 192.168.88.101 pc *\n", &le, &used), -EINVAL);
	assert_int_equal(disc_parse_lease("1700000000 02:00:00:00:88:01 192.168.88 pc *\n", &le, &used), -EINVAL);
	assert_int_equal(disc_parse_lease("1700000000 zz fd00:88::1 pc *\n", &le, &used), -EINVAL);
	assert_int_equal(disc_parse_lease("garbage\n", &le, &used), -EINVAL);
}

static void test_parse_odhcpd(void **state)
{
	struct disc_mac_name mn;

	(void)state;
	assert_int_equal(disc_parse_odhcpd("# br-lan 020000008801 ipv4 pc 1700000000 64 32 192.168.1.5/32\n", &mn), 0);
	assert_string_equal(mn.mac, "02:00:00:00:88:01");
	assert_string_equal(mn.name, "pc");
	assert_int_equal(disc_parse_odhcpd("# br-lan 00030001020000008802 1a2b phone 1700000000 5 128 fd00::5/128\n", &mn), 0);
	assert_string_equal(mn.mac, "02:00:00:00:88:02");
	assert_string_equal(mn.name, "phone");
	/* DUID-LLT */
	assert_int_equal(disc_parse_odhcpd("# br-lan 000100012b000001020000008803 1 tv -1 5 128\n", &mn), 0);
	assert_string_equal(mn.mac, "02:00:00:00:88:03");
	/* Not odhcpd's, or no name: nothing. */
	assert_int_equal(disc_parse_odhcpd("# br-lan 0004aabbccdd 1 tv 1700000000 5 128\n", &mn), 1);
	assert_int_equal(disc_parse_odhcpd("# br-lan 020000008801 ipv4 - 1700000000 64 32\n", &mn), 1);
	assert_int_equal(disc_parse_odhcpd("# br-lan 020000008801 ipv4 broken\\x20pc 1700000000 64 32\n", &mn), 1);
	assert_int_equal(disc_parse_odhcpd("# The following lines are desirable for IPv6 hosts\n", &mn), 1);
	assert_int_equal(disc_parse_odhcpd("#br-lan 020000008801 ipv4 pc 1 2 3\n", &mn), 1);
}

static void test_read_files(void **state)
{
	char *dir = tu_mkdtemp(), *lf, *hf, *missing = tu_path(dir, "missing");
	struct disc_names n = { 0 };
	unsigned int bad = 99;
	struct addr a;

	(void)state;
	lf = tu_write_in(dir, "leases",
			 "1900000000 02:00:00:00:88:01 192.168.88.101 pc *\n"
			 "garbage\n"
			 "duid 00:01:00:01:2b:00:00:01:02:00:00:00:00:01\n"
			 "1900000000 02:00:00:00:88:02 192.168.88.1"); /* half-written */
	hf = tu_write_in(dir, "hosts",
			 "# comment\n\n127.0.0.1 localhost\n192.168.88.20 printer lp\n"
			 "192.168.88.20 other\nfe80::1 ll\n192.168.88.21\n!! x\n"
			 "# br-lan 020000008809 ipv4 cam 1700000000 64 32 192.168.88.9/32\n");
	assert_int_equal(disc_read_leases(&n, lf, &bad), 0);
	assert_int_equal(bad, 2);
	assert_int_equal(n.leases.n, 1);
	assert_string_equal(n.leases.v[0].name, "pc");
	assert_int_equal(disc_read_hosts(&n, &cfg, hf, &bad), 0);
	assert_int_equal(bad, 2);
	addr_parse(&a, "192.168.88.20");
	assert_non_null(disc_static_name(&n, &a));
	assert_string_equal(disc_static_name(&n, &a), "printer"); /* the first name of an address */
	assert_int_equal(n.statics.n, 1);
	assert_int_equal(n.nmacs, 1);
	assert_string_equal(n.macs[0].name, "cam");
	assert_int_equal(disc_read_hosts(&n, &cfg, missing, &bad), 0);
	assert_int_equal(bad, 0);
	disc_names_free(&n);
	free(lf);
	free(hf);
	free(missing);
	tu_rmtree(dir);
}

/* Thousands of hosts file names (the index grows many times), both families, the first
 * name of an address kept, and two files: the second's name for an address taken loses. */
static void test_statics_many(void **state)
{
	char *dir = tu_mkdtemp(), *f1, *f2, *text = malloc(5000 * 64), name[NAME_SIZE];
	struct disc_names n = { 0 };
	unsigned int bad = 99;
	size_t len = 0;
	struct addr a;

	(void)state;
	assert_non_null(text);
	for (int i = 0; i < 5000; i++)
		len += (size_t)sprintf(text + len, i % 2 ? "10.%d.%d.1 h%d\n" : "fd00::%x:%x h%d\n",
				       i / 250, i % 250, i);
	len += (size_t)sprintf(text + len, "10.0.1.1 again\n"); /* h1's address */
	f1 = tu_write_in(dir, "h1", text);
	f2 = tu_write_in(dir, "h2", "10.0.3.1 other\n10.99.0.1 new\n");
	assert_int_equal(disc_read_hosts(&n, &cfg, f1, &bad), 0);
	assert_int_equal(bad, 0);
	assert_int_equal(disc_read_hosts(&n, &cfg, f2, &bad), 0);
	assert_int_equal(n.statics.n, 5001);
	for (int i = 0; i < 5000; i++) {
		char as[64];

		snprintf(as, sizeof(as), i % 2 ? "10.%d.%d.1" : "fd00::%x:%x", i / 250, i % 250);
		assert_int_equal(addr_parse(&a, as), 0);
		snprintf(name, sizeof(name), "h%d", i);
		assert_non_null(disc_static_name(&n, &a));
		assert_string_equal(disc_static_name(&n, &a), name);
	}
	addr_parse(&a, "10.99.0.1");
	assert_string_equal(disc_static_name(&n, &a), "new");
	addr_parse(&a, "10.0.0.2");
	assert_null(disc_static_name(&n, &a));
	addr_parse(&a, "fd00::1:1"); /* i = 251: odd, an IPv4 one */
	assert_null(disc_static_name(&n, &a));
	disc_names_free(&n);
	assert_int_equal(n.statics.n, 0);
	assert_null(disc_static_name(&n, &a));
	free(text);
	free(f1);
	free(f2);
	tu_rmtree(dir);
}

static void test_mac_name(void **state)
{
	char name[NAME_SIZE];

	(void)state;
	disc_mac_name("02:00:00:00:88:ab", name);
	assert_string_equal(name, "mac-0200000088ab");
	assert_true(name_is_clean(name));
}

/* ---- decisions ----------------------------------------------------------------------- */

static void nb(struct disc *d, const char *as, const char *mac, uint16_t st, bool del, int64_t t,
	       int expect)
{
	struct neigh_msg m = { .ifindex = 1, .state = st, .deleted = del };

	assert_int_equal(addr_parse(&m.addr, as), 0);
	snprintf(m.mac, sizeof(m.mac), "%s", mac);
	assert_int_equal(disc_update(d, &m, t), expect);
}

static void names(struct disc *d, const char *leases, const char *hosts)
{
	char *dir = tu_mkdtemp(), *lf = tu_write_in(dir, "l", leases), *hf = tu_write_in(dir, "h", hosts);
	struct disc_names n = { 0 };
	unsigned int bad;

	assert_int_equal(disc_read_leases(&n, lf, &bad), 0);
	assert_int_equal(disc_read_hosts(&n, &cfg, hf, &bad), 0);
	disc_set_names(d, &n);
	free(lf);
	free(hf);
	tu_rmtree(dir);
}

static void put(struct hostset *s, const char *name, const char *as, uint64_t txb)
{
	struct addr a;
	struct host *h;

	assert_int_equal(addr_parse(&a, as), 0);
	assert_true(hostset_upsert(s, name, &a) >= 0);
	h = hostset_find(s, name);
	h->tx[a.fam] = (struct counter){ .bytes = txb, .packets = 1 };
}

/* disc_decide on OLD: the hosts wanted, "name=addr,addr:txbytes" sorted, joined by ' '. */
static char *decide(const struct disc *d, const struct hostset *old, int64_t t,
		    struct hostset *out)
{
	static char text[1024];
	struct hostset want;
	size_t o = 0;

	assert_int_equal(hostset_copy(&want, old), 0);
	assert_int_equal(disc_decide(d, old, &want, t, 1800000000), 0);
	hostset_sort(&want);
	text[0] = '\0';
	for (size_t i = 0; i < want.n; i++) {
		const struct host *h = &want.v[i];

		o += (size_t)snprintf(text + o, sizeof(text) - o, "%s%s=", i ? " " : "", h->name);
		for (unsigned int j = 0; j < h->naddrs; j++) {
			char as[ADDR_STRLEN];

			o += (size_t)snprintf(text + o, sizeof(text) - o, "%s%s", j ? "," : "",
					      addr_format(&h->addrs[j], as, sizeof(as)));
		}
		o += (size_t)snprintf(text + o, sizeof(text) - o, ":%llu",
				      (unsigned long long)(h->tx[0].bytes + h->tx[1].bytes));
	}
	if (out)
		*out = want;
	else
		hostset_free(&want);
	return text;
}

#define M1 "02:00:00:00:88:01"
#define M2 "02:00:00:00:88:02"

static void test_update(void **state)
{
	struct disc d;

	(void)state;
	disc_init(&d, &cfg);
	nb(&d, "192.168.88.5", M1, NUD_REACHABLE, false, 0, 1);   /* new */
	nb(&d, "192.168.88.5", M1, NUD_REACHABLE, false, 100, 0); /* again */
	nb(&d, "192.168.88.5", M1, NUD_STALE, false, 200, 0);     /* grace starts */
	nb(&d, "192.168.88.5", M1, NUD_DELAY, false, 300, 0);     /* back in time */
	assert_int_equal(disc_expired(&d, 100000), 0);
	nb(&d, "192.168.88.5", "", NUD_FAILED, false, 400, 0);
	assert_int_equal(disc_expired(&d, 400 + 9999), 0);
	assert_int_equal(disc_expired(&d, 400 + 10000), 1);
	nb(&d, "192.168.88.5", M1, NUD_REACHABLE, false, 400 + 10001, 1); /* back after its grace */
	nb(&d, "192.168.88.5", M2, NUD_REACHABLE, false, 20000, 1);	  /* another MAC */
	/* Not taken in: no MAC, failed, deleted, link-local, loopback. */
	nb(&d, "192.168.88.6", "", NUD_INCOMPLETE, false, 0, 0);
	nb(&d, "192.168.88.7", M1, NUD_FAILED, false, 0, 0);
	nb(&d, "192.168.88.8", M1, NUD_REACHABLE, true, 0, 0);
	nb(&d, "fe80::1", M1, NUD_REACHABLE, false, 0, 0);
	nb(&d, "127.0.0.1", M1, NUD_PERMANENT, false, 0, 0);
	nb(&d, "192.168.88.255", "ff:ff:ff:ff:ff:ff", NUD_NOARP, false, 0, 0);
	nb(&d, "192.168.88.10", "01:00:5e:00:00:16", NUD_NOARP, false, 0, 0);
	nb(&d, "192.168.88.11", "00:00:00:00:00:00", NUD_NOARP, false, 0, 0);
	/* A stale one seen first (a dump at start) is taken in, its grace running. */
	nb(&d, "192.168.88.9", M1, NUD_STALE, false, 0, 1);
	assert_int_equal(disc_count(&d), 2);
	disc_applied(&d, 10000); /* the stale one's grace is over: dropped */
	assert_int_equal(disc_count(&d), 1);
	disc_free(&d);
}

static void test_names(void **state)
{
	struct hostset old = { 0 };
	struct disc d;

	(void)state;
	disc_init(&d, &cfg);
	/* Unnamed: the MAC-derived name; one address per family, both families one host. */
	nb(&d, "192.168.88.5", M1, NUD_REACHABLE, false, 0, 1);
	nb(&d, "fd00:88::ff:fe00:8801", M1, NUD_REACHABLE, false, 0, 1);
	nb(&d, "192.168.88.6", M2, NUD_REACHABLE, false, 0, 1);
	assert_string_equal(decide(&d, &old, 0, NULL),
			    "mac-020000008801=192.168.88.5,fd00:88::ff:fe00:8801:0 "
			    "mac-020000008802=192.168.88.6:0");
	/* Named by MAC from a lease (the IPv6 address too), by address from a hosts file. */
	names(&d, "1900000000 " M1 " 192.168.88.5 pc *\n", "192.168.88.6 printer\n");
	assert_string_equal(decide(&d, &old, 0, NULL),
			    "pc=192.168.88.5,fd00:88::ff:fe00:8801:0 printer=192.168.88.6:0");
	/* An expired lease names nobody. */
	names(&d, "1000 " M1 " 192.168.88.5 pc *\n", "");
	assert_string_equal(decide(&d, &old, 0, NULL),
			    "mac-020000008801=192.168.88.5,fd00:88::ff:fe00:8801:0 "
			    "mac-020000008802=192.168.88.6:0");
	/* A name given by someone else (the dnsmasq hook) is kept: not renamed to mac-... */
	put(&old, "laptop", "192.168.88.6", 500);
	assert_string_equal(decide(&d, &old, 0, NULL),
			    "laptop=192.168.88.6:500 "
			    "mac-020000008801=192.168.88.5,fd00:88::ff:fe00:8801:0");
	/* Two devices, one name: the second gets NAME_<hash of its MAC>, as events do. */
	hostset_free(&old);
	put(&old, "pc", "192.168.88.5", 7);
	names(&d, "1900000000 " M1 " 192.168.88.5 pc *\n1900000000 " M2 " 192.168.88.6 pc *\n", "");
	{
		char want[256];

		snprintf(want, sizeof(want), "pc=192.168.88.5,fd00:88::ff:fe00:8801:7 pc_%08x=192.168.88.6:0",
			 tu_fnv1a(M2));
		assert_string_equal(decide(&d, &old, 0, NULL), want);
	}
	hostset_free(&old);
	disc_free(&d);
}

static void test_rename(void **state)
{
	struct hostset old = { 0 }, want;
	struct plan p;
	struct disc d;

	(void)state;
	disc_init(&d, &cfg);
	nb(&d, "192.168.88.30", M1, NUD_REACHABLE, false, 0, 1);
	put(&old, "mac-020000008801", "192.168.88.30", 10280);
	assert_string_equal(decide(&d, &old, 0, NULL), "mac-020000008801=192.168.88.30:10280");
	/* It takes a lease at another address: renamed (counts kept), counted at the lease. */
	nb(&d, "192.168.88.130", M1, NUD_REACHABLE, false, 0, 1);
	names(&d, "1900000000 " M1 " 192.168.88.130 laptop *\n", "");
	assert_string_equal(decide(&d, &old, 0, &want), "laptop=192.168.88.130:10280");
	assert_int_equal(plan_make(&p, &old, &want), 0);
	assert_int_equal(p.ncreated, 1);
	assert_string_equal(p.created[0].from, "mac-020000008801"); /* the journal's rename */
	plan_free(&p);
	hostset_free(&want);
	hostset_free(&old);
	disc_free(&d);
}

static void test_move(void **state)
{
	struct hostset old = { 0 }, want;
	struct plan p;
	struct disc d;

	(void)state;
	disc_init(&d, &cfg);
	nb(&d, "192.168.88.40", M1, NUD_REACHABLE, false, 0, 1);
	put(&old, "mac-020000008801", "192.168.88.40", 10280);
	disc_applied(&d, 0);
	/* Another MAC at the address: the address moves, the counts stay behind. */
	nb(&d, "192.168.88.40", M2, NUD_REACHABLE, false, 5, 1);
	assert_string_equal(decide(&d, &old, 5, &want), "mac-020000008802=192.168.88.40:0");
	assert_int_equal(plan_make(&p, &old, &want), 0);
	assert_int_equal(p.ncreated, 1);
	assert_null(p.created[0].from); /* new counters, not a rename */
	plan_free(&p);
	hostset_free(&want);
	/* Settled: the next decision sees the second device's host as its own. */
	disc_applied(&d, 5);
	hostset_free(&old);
	put(&old, "mac-020000008802", "192.168.88.40", 3);
	assert_string_equal(decide(&d, &old, 5, NULL), "mac-020000008802=192.168.88.40:3");
	hostset_free(&old);
	disc_free(&d);
}

static void test_grace(void **state)
{
	struct hostset old = { 0 };
	struct disc d;

	(void)state;
	disc_init(&d, &cfg);
	nb(&d, "192.168.88.5", M1, NUD_REACHABLE, false, 0, 1);
	nb(&d, "192.168.88.6", M2, NUD_REACHABLE, false, 0, 1);
	put(&old, "mac-020000008801", "192.168.88.5", 1);
	put(&old, "tv", "192.168.88.6", 2);
	names(&d, "1900000000 " M2 " 192.168.88.6 tv *\n", "");
	nb(&d, "192.168.88.5", M1, NUD_REACHABLE, true, 1000, 0); /* deleted */
	nb(&d, "192.168.88.6", M2, NUD_STALE, false, 1000, 0);
	/* Within the grace: counted as before. */
	assert_string_equal(decide(&d, &old, 10999, NULL), "mac-020000008801=192.168.88.5:1 tv=192.168.88.6:2");
	/* After it: gone, but for the address an active lease still gives. */
	assert_int_equal(disc_expired(&d, 11000), 1);
	assert_string_equal(decide(&d, &old, 11000, NULL), "tv=192.168.88.6:2");
	disc_applied(&d, 11000);
	assert_int_equal(disc_count(&d), 0);
	hostset_free(&old);
	disc_free(&d);
}

/* A device's other living address does not take the place of the one it is counted at;
 * a leased one does. */
static void test_sticky(void **state)
{
	struct hostset old = { 0 };
	struct disc d;

	(void)state;
	disc_init(&d, &cfg);
	nb(&d, "fd00:88::a", M1, NUD_REACHABLE, false, 0, 1);
	put(&old, "mac-020000008801", "fd00:88::a", 1);
	nb(&d, "fd00:88::b", M1, NUD_REACHABLE, false, 50, 1);
	assert_string_equal(decide(&d, &old, 50, NULL), "mac-020000008801=fd00:88::a:1");
	names(&d, "1900000000 1 fd00:88::b pc 00:03:00:01:" M1 "\n", "");
	assert_string_equal(decide(&d, &old, 50, NULL), "pc=fd00:88::b:1");
	hostset_free(&old);
	disc_free(&d);
}

/* A counted neighbour taken away by someone else (flush, reload-hosts) is missed. */
static void test_missing(void **state)
{
	struct hostset old = { 0 }, want, snap = { 0 };
	struct disc d;

	(void)state;
	disc_init(&d, &cfg);
	nb(&d, "fd00:88::b", M1, NUD_REACHABLE, false, 0, 1); /* not counted: one per family */
	nb(&d, "fd00:88::a", M1, NUD_REACHABLE, false, 5, 1); /* the newest: counted */
	decide(&d, &old, 5, &want);
	disc_mark(&d, &want);
	assert_int_equal(disc_missing(&d, &want, 5), 0);
	put(&snap, "someone-else", "fd00:88::a", 0); /* held, whoever holds it */
	assert_int_equal(disc_missing(&d, &snap, 5), 0);
	hostset_free(&snap);
	assert_int_equal(disc_missing(&d, &snap, 5), 1);
	nb(&d, "fd00:88::a", M1, NUD_STALE, false, 10, 0);
	assert_int_equal(disc_missing(&d, &snap, 10 + 10000), 0); /* its grace is over */
	hostset_free(&snap);
	hostset_free(&want);
	disc_free(&d);
}

/* Never another device's name: a device at an address a lease gives another MAC, or one
 * whose MAC-derived name is another's, or one past its grace (kept counted by a lease). */
static void test_foreign(void **state)
{
	struct hostset old = { 0 }, want;
	struct disc d;

	(void)state;
	disc_init(&d, &cfg);
	/* At start: the kernel counts pc (the hook's) at an address; another MAC is there now. */
	put(&old, "pc", "192.168.88.100", 5);
	put(&old, "mac-0200000088ff", "192.168.88.101", 6);
	names(&d, "1900000000 " M1 " 192.168.88.100 pc *\n", "");
	nb(&d, "192.168.88.100", M2, NUD_REACHABLE, false, 0, 1);
	nb(&d, "192.168.88.101", M2, NUD_REACHABLE, false, 5, 1); /* the newest */
	assert_string_equal(decide(&d, &old, 5, NULL),
			    "mac-020000008802=192.168.88.101:0 pc=192.168.88.100:5");
	hostset_free(&old);
	disc_free(&d);

	/* A device past its grace whose address a lease keeps counted; another MAC comes. */
	disc_init(&d, &cfg);
	names(&d, "1900000000 " M1 " 192.168.88.5 tv *\n", "");
	nb(&d, "192.168.88.5", M1, NUD_REACHABLE, false, 0, 1);
	assert_string_equal(decide(&d, &old, 0, &want), "tv=192.168.88.5:0");
	disc_mark(&d, &want);
	hostset_free(&want);
	put(&old, "tv", "192.168.88.5", 9);
	nb(&d, "192.168.88.5", M1, NUD_STALE, false, 1000, 0);
	assert_int_equal(disc_expired(&d, 11000), 1);
	assert_string_equal(decide(&d, &old, 11000, &want), "tv=192.168.88.5:9");
	disc_mark(&d, &want);
	hostset_free(&want);
	disc_applied(&d, 11000);
	assert_int_equal(disc_expired(&d, 12000), 0); /* acted on: no more syncs for it */
	assert_int_equal(disc_count(&d), 0);
	names(&d, "", ""); /* the lease is gone; someone else is at the address */
	nb(&d, "192.168.88.5", M2, NUD_STALE, false, 13000, 1);
	assert_string_equal(decide(&d, &old, 13000, NULL), "mac-020000008802=192.168.88.5:0");
	hostset_free(&old);
	disc_free(&d);
}

/* nft (many): a device is counted at every address it keeps; iptables: one per family. */
static void test_many(void **state)
{
	struct hostset old = { 0 }, want;
	struct disc d;

	(void)state;
	disc_init(&d, &cfg);
	nb(&d, "192.168.88.5", M1, NUD_REACHABLE, false, 0, 1);
	nb(&d, "fd00:88::a", M1, NUD_REACHABLE, false, 0, 1);
	nb(&d, "fd00:88::b", M1, NUD_REACHABLE, false, 50, 1); /* a privacy address */
	put(&old, "mac-020000008801", "fd00:88::a", 7);
	assert_string_equal(decide(&d, &old, 50, NULL), "mac-020000008801=fd00:88::a,192.168.88.5:7");
	d.many = true;
	assert_string_equal(decide(&d, &old, 50, &want),
			    "mac-020000008801=fd00:88::a,192.168.88.5,fd00:88::b:7");
	/* Counted at all three: nothing to change. */
	hostset_free(&old);
	old = want;
	assert_string_equal(decide(&d, &old, 60, NULL),
			    "mac-020000008801=fd00:88::a,192.168.88.5,fd00:88::b:7");
	/* One goes stale: counted within its grace, gone after it. */
	nb(&d, "fd00:88::b", M1, NUD_STALE, false, 1000, 0);
	assert_string_equal(decide(&d, &old, 10999, NULL),
			    "mac-020000008801=fd00:88::a,192.168.88.5,fd00:88::b:7");
	assert_int_equal(disc_expired(&d, 11000), 1);
	assert_string_equal(decide(&d, &old, 11000, &want),
			    "mac-020000008801=fd00:88::a,192.168.88.5:7");
	disc_mark(&d, &want);
	disc_applied(&d, 11000);
	hostset_free(&old);
	old = want;
	assert_int_equal(disc_count(&d), 2);
	/* An address a lease gives the host stays beside the neighbours (a dnsmasq event's). */
	names(&d, "1900000000 1 fd00:88::100 pc 00:03:00:01:" M1 "\n", "");
	{
		struct addr a;

		addr_parse(&a, "fd00:88::100");
		assert_int_equal(hostset_put_addr(&old, "mac-020000008801", &a), 1);
		assert_int_equal(hostset_put_addr(&old, "mac-020000008801", &a), 0);
	}
	assert_string_equal(decide(&d, &old, 11000, NULL),
			    "pc=fd00:88::a,192.168.88.5,fd00:88::100:7");
	/* A neighbour past its grace that a lease still gives stays too. */
	names(&d, "1900000000 1 fd00:88::100 pc 00:03:00:01:" M1 "\n"
		  "1900000000 1 fd00:88::a pc 00:03:00:01:" M1 "\n", "");
	nb(&d, "fd00:88::a", M1, NUD_STALE, false, 12000, 0);
	assert_int_equal(disc_expired(&d, 22000), 1);
	assert_string_equal(decide(&d, &old, 22000, NULL),
			    "pc=fd00:88::a,192.168.88.5,fd00:88::100:7");
	hostset_free(&old);
	disc_free(&d);
}

/* Past HOST_MAX_ADDRS: the best of each family, then the ones counted already, the newest. */
static void test_many_limit(void **state)
{
	struct hostset old = { 0 }, want;
	struct disc d;
	char as[64];
	const struct host *h;
	struct addr a;

	(void)state;
	disc_init(&d, &cfg);
	d.many = true;
	nb(&d, "192.168.88.5", M1, NUD_STALE, false, 0, 1);
	for (int i = 1; i <= 10; i++) {
		snprintf(as, sizeof(as), "fd00:88::%d", i);
		nb(&d, as, M1, NUD_REACHABLE, false, i, 1);
	}
	decide(&d, &old, 10, &want);
	h = hostset_find(&want, "mac-020000008801");
	assert_non_null(h);
	assert_int_equal(h->naddrs, HOST_MAX_ADDRS);
	addr_parse(&a, "192.168.88.5");
	assert_true(host_has_addr(h, &a)); /* stale, but its family's only one */
	for (int i = 4; i <= 10; i++) {    /* the seven newest */
		snprintf(as, sizeof(as), "fd00:88::%d", i);
		addr_parse(&a, as);
		assert_true(host_has_addr(h, &a));
	}
	/* A newer one comes: those counted already keep their places (no churn). */
	hostset_free(&old);
	old = want;
	nb(&d, "fd00:88::11", M1, NUD_REACHABLE, false, 20, 1);
	decide(&d, &old, 20, &want);
	assert_true(hostset_same(&old, &want));
	hostset_free(&want);
	hostset_free(&old);
	disc_free(&d);
}

static void test_config(void **state)
{
	struct config c;
	char err[200];

	(void)state;
	config_defaults(&c);
	assert_string_equal(c.discover, "on");
	assert_string_equal(c.discover_interfaces, "br-lan");
	assert_int_equal(c.discover_grace, 3600);
	assert_int_equal(config_set(&c, "discover", "off", err, sizeof(err)), 0);
	assert_string_equal(c.discover, "off");
	assert_int_equal(config_set(&c, "discover", "yes", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "bad discover 'yes' (on or off)");
	assert_string_equal(c.discover, "off");
	assert_int_equal(config_set(&c, "discover_grace", "0", err, sizeof(err)), 0);
	assert_int_equal(config_set(&c, "discover_grace", "-1", err, sizeof(err)), -EINVAL);
	assert_int_equal(config_set(&c, "discover_interfaces", "br-lan wlan0", err, sizeof(err)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_neigh_parse),  cmocka_unit_test(test_parse_lease),
		cmocka_unit_test(test_parse_odhcpd), cmocka_unit_test(test_read_files),
		cmocka_unit_test(test_statics_many),
		cmocka_unit_test(test_mac_name),     cmocka_unit_test(test_update),
		cmocka_unit_test(test_names),	     cmocka_unit_test(test_rename),
		cmocka_unit_test(test_move),	     cmocka_unit_test(test_grace),
		cmocka_unit_test(test_sticky),	     cmocka_unit_test(test_config),
		cmocka_unit_test(test_missing),	     cmocka_unit_test(test_foreign),
		cmocka_unit_test(test_many),	     cmocka_unit_test(test_many_limit),
	};

	tu_init();
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
