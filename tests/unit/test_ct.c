// SPDX-License-Identifier: GPL-2.0-or-later
/* Conntrack messages built as the kernel sends them and parsed back (src/ct.c); the mode's
 * names (src/counting.c); what `show` says of the mode. */
#include "testutil.h"

#include <endian.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "counting.h"
#include "ct.h"
#include "show.h"

struct spec {
	int af;
	const char *osrc, *odst, *rsrc, *rdst;
	uint8_t proto;
	bool reply, counters, unknown;
	uint16_t subsys;
};

static void put_tuple(struct nlmsghdr *nlh, int type, int af, const char *src, const char *dst,
		      uint8_t proto)
{
	struct nlattr *t = mnl_attr_nest_start(nlh, type), *n;
	unsigned char a[16], b[16];

	inet_pton(af, src, a);
	inet_pton(af, dst, b);
	n = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put(nlh, af == AF_INET ? CTA_IP_V4_SRC : CTA_IP_V6_SRC, af == AF_INET ? 4 : 16, a);
	mnl_attr_put(nlh, af == AF_INET ? CTA_IP_V4_DST : CTA_IP_V6_DST, af == AF_INET ? 4 : 16, b);
	mnl_attr_nest_end(nlh, n);
	n = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, proto);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(40000));
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(443));
	mnl_attr_nest_end(nlh, n);
	mnl_attr_nest_end(nlh, t);
}

static void put_counters(struct nlmsghdr *nlh, int type, uint64_t bytes, uint64_t packets)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, type);

	mnl_attr_put_u64(nlh, CTA_COUNTERS_PACKETS, htobe64(packets));
	mnl_attr_put_u64(nlh, CTA_COUNTERS_BYTES, htobe64(bytes));
	mnl_attr_nest_end(nlh, n);
}

static struct nlmsghdr *build(char *buf, const struct spec *s)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;

	nlh->nlmsg_type = (uint16_t)((s->subsys ? s->subsys : NFNL_SUBSYS_CTNETLINK) << 8 |
				     IPCTNL_MSG_CT_NEW);
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = (uint8_t)s->af;
	g->version = NFNETLINK_V0;
	put_tuple(nlh, CTA_TUPLE_ORIG, s->af, s->osrc, s->odst, s->proto);
	if (s->reply)
		put_tuple(nlh, CTA_TUPLE_REPLY, s->af, s->rsrc, s->rdst, s->proto);
	if (s->unknown)
		mnl_attr_put_u32(nlh, CTA_MAX + 7, 12345); /* a newer kernel's attribute */
	mnl_attr_put_u32(nlh, CTA_ID, htonl(0xdeadbeef));
	if (s->counters) {
		put_counters(nlh, CTA_COUNTERS_ORIG, 1500000000000ULL, 1000);
		put_counters(nlh, CTA_COUNTERS_REPLY, 52, 1);
	}
	return nlh;
}

static void test_parse_v4_nat(void **state)
{
	/* pc 192.168.1.10 masqueraded to 203.0.113.1 on its way to 198.51.100.7 */
	struct spec s = { AF_INET, "192.168.1.10", "198.51.100.7", "198.51.100.7", "203.0.113.1",
			  IPPROTO_TCP, true, true, true, 0 };
	char buf[4096], as[ADDR_STRLEN];
	struct ct_msg m;

	(void)state;
	assert_int_equal(ct_parse(build(buf, &s), &m), 0);
	assert_int_equal(m.fam, FAM_V4);
	assert_int_equal(m.proto, IPPROTO_TCP);
	assert_int_equal(m.id, 0xdeadbeef);
	assert_true(m.counters);
	assert_string_equal(addr_format(&m.e1, as, sizeof(as)), "192.168.1.10");
	assert_string_equal(addr_format(&m.e2, as, sizeof(as)), "198.51.100.7");
	assert_true(m.c[0] == 1500000000000ULL);
	assert_int_equal(m.c[1], 1000);
	assert_int_equal(m.c[2], 52);
	assert_int_equal(m.c[3], 1);
}

static void test_parse_v6_dnat(void **state)
{
	/* a port forward: the client 2001:db8::9 asks the router, the reply comes from the LAN */
	struct spec s = { AF_INET6, "2001:db8::9", "2001:db8:99::1", "fd00::10", "2001:db8::9",
			  IPPROTO_UDP, true, false, false, 0 };
	char buf[4096], as[ADDR_STRLEN];
	struct ct_msg m;

	(void)state;
	assert_int_equal(ct_parse(build(buf, &s), &m), 0);
	assert_int_equal(m.fam, FAM_V6);
	assert_int_equal(m.proto, IPPROTO_UDP);
	assert_false(m.counters); /* accounting was off when the flow began */
	assert_string_equal(addr_format(&m.e1, as, sizeof(as)), "2001:db8::9");
	assert_string_equal(addr_format(&m.e2, as, sizeof(as)), "fd00::10");
	assert_int_equal(m.c[0] + m.c[1] + m.c[2] + m.c[3], 0);
}

static void test_parse_refused(void **state)
{
	struct spec noreply = { AF_INET, "10.0.0.1", "10.0.0.2", "", "", IPPROTO_TCP, false, true,
				false, 0 };
	struct spec other = { AF_INET, "10.0.0.1", "10.0.0.2", "10.0.0.2", "10.0.0.1", IPPROTO_TCP,
			      true, true, false, NFNL_SUBSYS_NFTABLES };
	struct spec bridge = other;
	char buf[4096];
	struct nlmsghdr *nlh;
	struct ct_msg m;

	(void)state;
	assert_int_equal(ct_parse(build(buf, &noreply), &m), -EINVAL);
	assert_int_equal(ct_parse(build(buf, &other), &m), -EINVAL);
	bridge.subsys = 0;
	nlh = build(buf, &bridge);
	((struct nfgenmsg *)mnl_nlmsg_get_payload(nlh))->nfgen_family = AF_BRIDGE;
	assert_int_equal(ct_parse(nlh, &m), -EINVAL);
	/* cut inside its counters: parsed without them, so the flow is never counted */
	bridge.subsys = 0;
	nlh = build(buf, &bridge);
	nlh->nlmsg_len -= 6;
	assert_int_equal(ct_parse(nlh, &m), 0);
	assert_false(m.counters);
	/* a header alone */
	nlh->nlmsg_len = NLMSG_HDRLEN;
	assert_int_equal(ct_parse(nlh, &m), -EINVAL);
}

static void test_counting_names(void **state)
{
	(void)state;
	assert_int_equal(counting_parse("auto"), COUNTING_AUTO);
	assert_int_equal(counting_parse("forward"), COUNTING_FORWARD);
	assert_int_equal(counting_parse("conntrack"), COUNTING_CONNTRACK);
	assert_int_equal(counting_parse("nft"), -EINVAL);
	assert_string_equal(counting_name(COUNTING_CONNTRACK), "conntrack");
}

/* After totals_update(), `last` holds the forward hook's counters again, as does the snapshot. */
static void test_counting_after(void **state)
{
	struct hostset snap = { 0 };
	struct totals t = { 0 };
	struct counting k;
	struct addr a;
	struct host *h;
	struct total *e;

	(void)state;
	counting_init(&k, NULL);
	addr_parse(&a, "192.168.1.10");
	h = hostset_add_addr(&snap, "pc", &a);
	assert_non_null(h);
	h->tx[FAM_V4] = (struct counter){ 5000 + 700, 9 }; /* last + conntrack's increase */
	e = totals_get(&t, "pc");
	assert_non_null(e);
	k.kern = calloc(1, sizeof(*k.kern));
	assert_non_null(k.kern);
	k.kern[0][0][FAM_V4] = (struct counter){ 640, 4 }; /* the forward hook saw 640 */
	k.nkern = 1;
	counting_after(&k, &snap, &t);
	assert_int_equal(e->last.bytes[FAM_V4][0], 640);
	assert_int_equal(e->last.packets[FAM_V4][0], 4);
	assert_int_equal(snap.v[0].tx[FAM_V4].bytes, 640);
	assert_int_equal(k.nkern, 0);
	/* nothing saved (forward mode): nothing changes */
	e->last.bytes[FAM_V4][0] = 1;
	counting_after(&k, &snap, &t);
	assert_int_equal(e->last.bytes[FAM_V4][0], 1);
	counting_free(&k);
	hostset_free(&snap);
	totals_free(&t);
}

static void test_show_counting(void **state)
{
	struct show_info in = { .backend = "nft", .source = "daemon", .counting = "conntrack" };
	struct hostset s = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	show_json_ex(f, &in, &s);
	show_table_ex(f, &in, &s, false);
	fclose(f);
	assert_non_null(strstr(buf, "{\"backend\": \"nft\", \"source\": \"daemon\", \"counting\": "
				    "\"conntrack\", \"hosts\": []}\n"));
	assert_non_null(strstr(buf, "\ncounting: conntrack (per-flow counters, offloaded flows "
				    "included)\n"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_v4_nat),   cmocka_unit_test(test_parse_v6_dnat),
		cmocka_unit_test(test_parse_refused),  cmocka_unit_test(test_counting_names),
		cmocka_unit_test(test_counting_after), cmocka_unit_test(test_show_counting),
	};

	tu_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
