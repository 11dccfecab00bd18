// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tc clsact egress: steers IPv6 packets of selected applications onto SRv6
 * paths by inserting a Segment Routing Header (RFC 8754) after the IPv6 header.
 * Map layouts are in cairn.h. Expects an Ethernet header (datapath.ts refuses
 * other link types).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "cairn.h"

#define IP6_OFF ETH_HLEN
#define L4_OFF (ETH_HLEN + sizeof(struct ipv6hdr))
#define SRH_TYPE_SEGMENT_ROUTING 4

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, CAIRN_MAX_PREFIXES);
	__type(key, struct cairn_lpm_key);
	__type(value, struct cairn_rule_set);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} cairn_rules SEC(".maps");

/* Not preallocated: a replaced element is freed after readers are done with it. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CAIRN_MAX_RULES);
	__type(key, __u32);
	__type(value, struct cairn_path);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} cairn_paths SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CAIRN_MAX_RULES);
	__type(key, __u32);
	__type(value, struct cairn_counters);
} cairn_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CAIRN_DROP_MAX);
	__type(key, __u32);
	__type(value, __u64);
} cairn_drops SEC(".maps");

/* First 24 bytes of the SRH: fixed part plus Segment List[0] (final destination). */
struct srh_head {
	__u8 nexthdr;
	__u8 hdrlen;
	__u8 type;
	__u8 segments_left;
	__u8 last_entry;
	__u8 flags;
	__u16 tag;
	struct in6_addr final_dst;
};

struct flow {
	__u8 proto;
	__u8 has_port;
	__u16 dport;
};

static __always_inline int is_extension_header(__u8 nh)
{
	switch (nh) {
	case 0:   /* hop-by-hop */
	case 43:  /* routing */
	case 44:  /* fragment */
	case 51:  /* AH */
	case 60:  /* destination options */
	case 135: /* mobility */
	case 139: /* HIP */
	case 140: /* shim6 */
	case 253:
	case 254:
		return 1;
	}
	return 0;
}

/* Link-local and multicast destinations, and neighbour discovery, must stay on-link. */
static __always_inline int must_stay_local(const struct ipv6hdr *ip6, struct __sk_buff *skb)
{
	__u8 b0 = ip6->daddr.s6_addr[0];
	__u8 b1 = ip6->daddr.s6_addr[1];
	__u8 icmp_type;

	if (b0 == 0xff || (b0 == 0xfe && (b1 & 0xc0) == 0x80))
		return 1;
	if (ip6->nexthdr != IPPROTO_ICMPV6)
		return 0;
	if (bpf_skb_load_bytes(skb, L4_OFF, &icmp_type, 1))
		return 1;
	return icmp_type >= 133 && icmp_type <= 137;
}

static __always_inline int slot_matches(const struct cairn_rule_slot *s, const struct flow *f)
{
	if (s->protocol && s->protocol != f->proto)
		return 0;
	if (s->port_from == 0 && s->port_to == 0xffff)
		return 1;
	return f->has_port && f->dport >= s->port_from && f->dport <= s->port_to;
}

/* Rule id of the first matching slot in the entry for key, or 0. */
static __always_inline __u32 classify(const struct cairn_lpm_key *key, const struct flow *f)
{
	const struct cairn_rule_set *set = bpf_map_lookup_elem(&cairn_rules, key);
	__u32 i;

	if (!set)
		return 0;
	for (i = 0; i < CAIRN_MAX_RULES_PER_PREFIX; i++) {
		if (i >= set->count)
			break;
		if (slot_matches(&set->slots[i], f))
			return set->slots[i].rule_id;
	}
	return 0;
}

static __always_inline void count(__u32 rule_id, __u32 segs, __u32 len)
{
	struct cairn_counters *c = bpf_map_lookup_elem(&cairn_stats, &rule_id);

	if (!c)
		return;
	c->packets += segs > 1 ? segs : 1;
	c->bytes += len;
}

/* Inserts the SRH for rule_id's path (none for an empty one). 0 on success or when the rule has no path. */
static __always_inline int insert_srh(struct __sk_buff *skb, __u32 rule_id, const struct ipv6hdr *ip6)
{
	const struct cairn_path *path = bpf_map_lookup_elem(&cairn_paths, &rule_id);
	struct srh_head h = {};
	struct {
		__be16 payload_len;
		__u8 nexthdr;
	} __attribute__((packed)) fix;
	/* Read before bpf_skb_adjust_room, which zeroes gso_segs. */
	__u32 len_before = skb->len, gso_segs = skb->gso_segs;
	__u32 nsegs, seg_bytes, srh_len;
	__u64 flags = 0;

	if (!path)
		return 0;
	nsegs = path->nsegs;
	/* No segments: the IGP already follows the computed path. Count, leave the packet as it is. */
	if (nsegs == 0) {
		count(rule_id, gso_segs, len_before);
		return 0;
	}
	if (nsegs > CAIRN_MAX_SEGMENTS)
		return 0;
	seg_bytes = nsegs * 16;
	srh_len = sizeof(h) + seg_bytes;

	h.nexthdr = ip6->nexthdr;
	h.hdrlen = (srh_len - 8) / 8;
	h.type = SRH_TYPE_SEGMENT_ROUTING;
	h.segments_left = nsegs;
	h.last_entry = nsegs;
	h.final_dst = ip6->daddr;

	/* GSO skbs are checked per segment later; adjust_room shrinks a TCP gso_size to fit. */
	if (!skb->gso_size) {
		__u32 mtu_len = 0;

		if (bpf_check_mtu(skb, 0, &mtu_len, srh_len, 0) != BPF_MTU_CHK_RET_SUCCESS)
			return -CAIRN_DROP_MTU;
	}

	/* UDP GSO sizes delimit datagrams; the kernel only grows such skbs with a fixed gso_size. */
	if (skb->gso_size && ip6->nexthdr == IPPROTO_UDP)
		flags = BPF_F_ADJ_ROOM_FIXED_GSO;
	if (bpf_skb_adjust_room(skb, srh_len, BPF_ADJ_ROOM_NET, flags))
		return -CAIRN_DROP_ADJUST_ROOM;

	fix.payload_len = bpf_htons(bpf_ntohs(ip6->payload_len) + srh_len);
	fix.nexthdr = 43;
	if (bpf_skb_store_bytes(skb, L4_OFF, &h, sizeof(h), 0) ||
	    bpf_skb_store_bytes(skb, L4_OFF + sizeof(h), path->segs, seg_bytes, 0) ||
	    bpf_skb_store_bytes(skb, IP6_OFF + offsetof(struct ipv6hdr, payload_len), &fix, sizeof(fix), 0) ||
	    bpf_skb_store_bytes(skb, IP6_OFF + offsetof(struct ipv6hdr, daddr), path->segs[nsegs - 1], 16, 0))
		return -CAIRN_DROP_STORE;

	count(rule_id, gso_segs, len_before);
	return 0;
}

static __always_inline int handle_ipv6(struct __sk_buff *skb)
{
	struct cairn_lpm_key key = {};
	struct ipv6hdr ip6;
	struct flow f = {};
	__u32 rule_id = 0;

	if (bpf_skb_load_bytes(skb, IP6_OFF, &ip6, sizeof(ip6)) || ip6.version != 6)
		return 0;
	if (is_extension_header(ip6.nexthdr) || must_stay_local(&ip6, skb))
		return 0;

	f.proto = ip6.nexthdr;
	if (f.proto == IPPROTO_TCP || f.proto == IPPROTO_UDP) {
		__be16 ports[2];

		if (bpf_skb_load_bytes(skb, L4_OFF, ports, sizeof(ports)) == 0) {
			f.has_port = 1;
			f.dport = bpf_ntohs(ports[1]);
		}
	}

	key.prefixlen = CAIRN_LPM_FIXED_BITS + 128;
	__builtin_memcpy(key.addr, &ip6.daddr, sizeof(key.addr));
	key.cgroup_id = bpf_skb_cgroup_id(skb);
	if (key.cgroup_id)
		rule_id = classify(&key, &f);
	if (!rule_id) {
		key.cgroup_id = 0;
		rule_id = classify(&key, &f);
	}
	if (!rule_id)
		return 0;
	return insert_srh(skb, rule_id, &ip6);
}

SEC("tc")
int cairn_egress(struct __sk_buff *skb)
{
	__u32 reason;
	__u64 *drops;
	int ret;

	if (skb->protocol != bpf_htons(ETH_P_IPV6))
		return TC_ACT_OK;
	ret = handle_ipv6(skb);
	if (ret >= 0)
		return TC_ACT_OK;

	reason = -ret;
	drops = bpf_map_lookup_elem(&cairn_drops, &reason);
	if (drops)
		*drops += 1;
	return TC_ACT_SHOT;
}

/* GPL-compatible so GPL-only helpers stay usable; none are used today. */
char LICENSE[] SEC("license") = "Dual BSD/GPL";
