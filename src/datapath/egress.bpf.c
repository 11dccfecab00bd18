// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tc egress (tcx, or clsact): steers the packets of selected applications onto
 * SRv6 paths. IPv6 packets get a Segment Routing Header (RFC 8754) inline,
 * after the IPv6 header and any hop-by-hop options (RFC 8200 4.1); IPv4
 * packets are encapsulated in IPv6 + SRH (H.Encaps, RFC 8986 5.1). A packet
 * that no longer fits the device MTU is answered with ICMPv6 Packet Too Big /
 * ICMPv4 Fragmentation Needed, delivered to the host's own stack.
 * Map layouts and identity rules are in cairn.h. Expects an Ethernet header
 * (datapath.ts refuses other link types). Returns TC_ACT_UNSPEC (TCX_NEXT)
 * for every packet it lets through, so other programs on the hook still run.
 *
 * Liveliness: the agent's probes leave through this program, which gives each
 * the loopback SRH of the path it probes (out along the path, back over its
 * reverse, to this host) and stamps the path's send time; cairn_ingress stamps
 * each probe that comes back. A rule's primary whose probes stopped coming
 * back while probes still go out is down: its packets take the backup at once,
 * without waiting on user space; with no live path, onFailure decides.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "cairn.h"

#define IP6_OFF ETH_HLEN
#define IP6_HLEN 40
#define SRH_FIXED 8
#define NEXTHDR_HOP 0
#define NEXTHDR_ROUTING 43
#define NEXTHDR_FRAGMENT 44
#define NEXTHDR_AUTH 51
#define NEXTHDR_DEST 60
#define NEXTHDR_ICMP6 58
#define IPPROTO_IPIP_ 4
#define SRH_TYPE_SEGMENT_ROUTING 4
#define ICMPV6_PKT_TOOBIG 2
#define ICMP_DEST_UNREACH_ 3
#define ICMP_FRAG_NEEDED_ 4
#define IP_DF_ 0x4000
#define IP_MF_ 0x2000
#define IP_OFFSET_ 0x1fff
/* Extension headers walked after the hop-by-hop options before giving up on finding the transport header. */
#define MAX_EXT_HEADERS 3

#define PASS TC_ACT_UNSPEC

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, CAIRN_DEFAULT_MAX_PREFIXES);
	__type(key, struct cairn_lpm_key);
	__type(value, struct cairn_rule_set);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} cairn_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CAIRN_DEFAULT_MAX_RULES);
	__type(key, __u32);
	__type(value, struct cairn_rule_state);
} cairn_rule_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CAIRN_DEFAULT_MAX_PATHS);
	__type(key, __u32);
	__type(value, struct cairn_path);
} cairn_paths SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CAIRN_DEFAULT_MAX_RULES);
	__type(key, __u32);
	__type(value, struct cairn_counters);
} cairn_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CAIRN_DEFAULT_MAX_CGROUPS);
	__type(key, __u64);   /* cgroup v2 id */
	__type(value, __u32); /* class id */
} cairn_cgroups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cairn_config);
} cairn_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CAIRN_DEFAULT_MAX_FRAGMENTS);
	__type(key, struct cairn_frag_key);
	__type(value, __u32); /* rule id */
} cairn_frags SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CAIRN_DEFAULT_MAX_PATHS);
	__type(key, __u32);
	__type(value, struct cairn_probe_path);
} cairn_probes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CAIRN_DEFAULT_MAX_PATHS);
	__type(key, __u32);
	__type(value, struct cairn_live);
} cairn_live SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CAIRN_EV_MAX);
	__type(key, __u32);
	__type(value, __u64);
} cairn_events SEC(".maps");

/* What the classifier and the header writers need to know about a packet. */
struct pkt {
	__u8 daddr[16];   /* IPv4: mapped */
	__u8 saddr[16];
	__u32 l3_len;     /* IPv6: 40 + payload length; IPv4: total length */
	__u32 hdrs_len;   /* IPv6 header + extension headers before the transport header; IPv4: ihl * 4 */
	__u32 hbh_len;    /* IPv6 hop-by-hop options header (0: none) */
	__u32 frag_id;
	__u8 family;      /* 6 or 4 */
	__u8 nexthdr;     /* IPv6: the header after the hop-by-hop options (what the SRH's next header becomes) */
	__u8 proto;       /* transport protocol */
	__u8 has_port;
	__u16 dport;
	__u16 sport;
	__u8 frag;        /* 0: not a fragment; 1: first fragment; 2: a later fragment */
	__u8 df;          /* IPv4 don't-fragment */
	__u8 tos;         /* IPv4 TOS, for the outer traffic class */
};

struct srh_head {
	__u8 nexthdr;
	__u8 hdrlen;
	__u8 type;
	__u8 segments_left;
	__u8 last_entry;
	__u8 flags;
	__u16 tag;
};

static __always_inline void event(__u32 ev)
{
	__u64 *n = bpf_map_lookup_elem(&cairn_events, &ev);

	if (n)
		*n += 1;
}

static __always_inline int must_stay_local6(const struct ipv6hdr *ip6, const __u8 *l4, const void *end)
{
	__u8 b0 = ip6->daddr.s6_addr[0];
	__u8 b1 = ip6->daddr.s6_addr[1];

	if (b0 == 0xff || (b0 == 0xfe && (b1 & 0xc0) == 0x80))
		return 1;
	if (ip6->nexthdr != NEXTHDR_ICMP6)
		return 0;
	if ((const void *)(l4 + 1) > end)
		return 1;
	return l4[0] >= 133 && l4[0] <= 137; /* neighbour discovery */
}

/* 0: parsed; 1: leave alone (not ours to steer); -CAIRN_EV_*: counted, leave alone. */
static __always_inline int parse6(struct __sk_buff *skb, struct pkt *p)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	const struct ipv6hdr *ip6 = data + IP6_OFF;
	__u32 off = IP6_OFF + IP6_HLEN;
	__u8 nh;
	int i;

	if ((void *)(ip6 + 1) > end) {
		/* headers not in the linear part (rare for locally sent packets): make them so */
		if (bpf_skb_pull_data(skb, IP6_OFF + IP6_HLEN))
			return 1;
		data = (void *)(long)skb->data;
		end = (void *)(long)skb->data_end;
		ip6 = data + IP6_OFF;
		if ((void *)(ip6 + 1) > end)
			return 1;
	}
	if (ip6->version != 6 || must_stay_local6(ip6, data + IP6_OFF + IP6_HLEN, end))
		return 1;
	p->family = 6;
	__builtin_memcpy(p->daddr, &ip6->daddr, 16);
	__builtin_memcpy(p->saddr, &ip6->saddr, 16);
	p->l3_len = IP6_HLEN + bpf_ntohs(ip6->payload_len);
	nh = ip6->nexthdr;
	if (nh == IPPROTO_TCP || nh == IPPROTO_UDP) {
		/* the common case, without extension headers */
		const __be16 *ports = data + IP6_OFF + IP6_HLEN;

		p->nexthdr = nh;
		p->proto = nh;
		p->hdrs_len = IP6_HLEN;
		if ((const void *)(ports + 2) <= end) {
			p->has_port = 1;
			p->sport = bpf_ntohs(ports[0]);
			p->dport = bpf_ntohs(ports[1]);
		}
		return 0;
	}
	if (nh == NEXTHDR_HOP) {
		__u8 h[2];

		if (bpf_skb_load_bytes(skb, off, h, 2))
			return 1;
		p->hbh_len = ((__u32)h[1] + 1) * 8;
		if (p->hbh_len > CAIRN_MAX_HBH)
			return -CAIRN_EV_UNSUPPORTED;
		nh = h[0];
		off += p->hbh_len;
	}
	p->nexthdr = nh;
	for (i = 0; i < MAX_EXT_HEADERS; i++) {
		if (nh == NEXTHDR_DEST) {
			__u8 h[2];

			if (bpf_skb_load_bytes(skb, off, h, 2))
				return 1;
			nh = h[0];
			off += ((__u32)h[1] + 1) * 8;
		} else if (nh == NEXTHDR_FRAGMENT) {
			struct {
				__u8 nexthdr;
				__u8 reserved;
				__be16 frag_off;
				__be32 id;
			} fh;

			if (bpf_skb_load_bytes(skb, off, &fh, sizeof(fh)))
				return 1;
			nh = fh.nexthdr;
			off += sizeof(fh);
			p->frag_id = fh.id;
			p->frag = (bpf_ntohs(fh.frag_off) & ~7) ? 2 : 1;
		} else if (nh == NEXTHDR_ROUTING) {
			return 1; /* already source-routed by someone else */
		} else if (nh == NEXTHDR_AUTH || nh == NEXTHDR_HOP) {
			return -CAIRN_EV_UNSUPPORTED; /* AH covers the addresses an SRH changes */
		} else {
			break;
		}
	}
	p->proto = nh;
	p->hdrs_len = off - IP6_OFF;
	if (p->frag != 2 && (nh == IPPROTO_TCP || nh == IPPROTO_UDP)) {
		__be16 ports[2];

		if (bpf_skb_load_bytes(skb, off, ports, sizeof(ports)) == 0) {
			p->has_port = 1;
			p->dport = bpf_ntohs(ports[1]);
		}
	}
	return 0;
}

static __always_inline void map4(__u8 *out, __be32 a)
{
	__builtin_memset(out, 0, 10);
	out[10] = 0xff;
	out[11] = 0xff;
	__builtin_memcpy(out + 12, &a, 4);
}

static __always_inline int parse4(struct __sk_buff *skb, struct pkt *p)
{
	struct iphdr ip4;
	__u16 frag_off;
	__u8 d0;

	if (bpf_skb_load_bytes(skb, ETH_HLEN, &ip4, sizeof(ip4)) || ip4.version != 4 || ip4.ihl < 5)
		return 1;
	d0 = ((__u8 *)&ip4.daddr)[0];
	/* multicast, broadcast and link-local stay on the link */
	if (d0 >= 224 || ip4.daddr == 0xffffffff || (d0 == 169 && ((__u8 *)&ip4.daddr)[1] == 254))
		return 1;
	p->family = 4;
	map4(p->daddr, ip4.daddr);
	map4(p->saddr, ip4.saddr);
	p->l3_len = bpf_ntohs(ip4.tot_len);
	p->hdrs_len = ip4.ihl * 4;
	p->proto = ip4.protocol;
	p->tos = ip4.tos;
	frag_off = bpf_ntohs(ip4.frag_off);
	p->df = !!(frag_off & IP_DF_);
	if (frag_off & IP_OFFSET_)
		p->frag = 2;
	else if (frag_off & IP_MF_)
		p->frag = 1;
	p->frag_id = (__u32)bpf_ntohs(ip4.id) | ((__u32)ip4.protocol << 16);
	if (p->frag != 2 && (p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP)) {
		__be16 ports[2];

		if (bpf_skb_load_bytes(skb, ETH_HLEN + p->hdrs_len, ports, sizeof(ports)) == 0) {
			p->has_port = 1;
			p->dport = bpf_ntohs(ports[1]);
		}
	}
	return 0;
}

/* Cgroup classes of the sending socket, deepest first; returns how many. */
static __always_inline int cgroup_classes(struct __sk_buff *skb, const struct cairn_config *cfg, __u32 *classes)
{
	int n = 0, level;

	if (!cfg->max_level)
		return 0;
	for (level = CAIRN_MAX_CGROUP_LEVEL; level > 0; level--) {
		__u64 id;
		__u32 *cls;

		if (level > cfg->max_level || !(cfg->level_mask & (1u << level)))
			continue;
		id = bpf_skb_ancestor_cgroup_id(skb, level);
		if (!id)
			continue;
		cls = bpf_map_lookup_elem(&cairn_cgroups, &id);
		if (!cls)
			continue;
		classes[n & (CAIRN_MAX_CLASSES - 1)] = *cls;
		if (++n == CAIRN_MAX_CLASSES)
			break;
	}
	return n;
}

/* Mask of the first `len` bits of a 64-bit word in network byte order. */
static __always_inline __u64 prefix_mask64(__u32 len)
{
	if (len == 0)
		return 0;
	if (len >= 64)
		return ~0ULL;
	return bpf_cpu_to_be64(~0ULL << (64 - len));
}

static __always_inline int source_matches(const struct cairn_rule_slot *s, const struct pkt *p)
{
	__u32 len = s->src_len;
	__u64 want[2], have[2];

	if (!len)
		return 1;
	__builtin_memcpy(want, s->src, 16);
	__builtin_memcpy(have, p->saddr, 16);
	if ((have[0] & prefix_mask64(len)) != want[0])
		return 0;
	return (have[1] & prefix_mask64(len > 64 ? len - 64 : 0)) == want[1];
}

static __always_inline int slot_matches(const struct cairn_rule_slot *s, const struct pkt *p, __u32 uid)
{
	if (s->protocol && s->protocol != p->proto)
		return 0;
	if (s->uid != CAIRN_ANY_UID && s->uid != uid)
		return 0;
	if (!(s->port_from == 0 && s->port_to == 0xffff) &&
	    !(p->has_port && p->dport >= s->port_from && p->dport <= s->port_to))
		return 0;
	return source_matches(s, p);
}

/*
 * Rule id of the first matching slot in the class's entry for the packet's destination, or 0.
 * A global function: the verifier checks it once, not once per class at every call site.
 */
__noinline __u32 classify(__u32 class_id, const struct pkt *p, __u32 uid)
{
	struct cairn_lpm_key key = { .prefixlen = CAIRN_LPM_FIXED_BITS + 128, .class_id = class_id };
	const struct cairn_rule_set *set;
	__u32 i;

	if (!p)
		return 0;
	__builtin_memcpy(key.addr, p->daddr, 16);
	set = bpf_map_lookup_elem(&cairn_rules, &key);
	if (!set)
		return 0;
	for (i = 0; i < CAIRN_MAX_RULES_PER_PREFIX; i++) {
		if (i >= set->count)
			break;
		if (slot_matches(&set->slots[i], p, uid))
			return set->slots[i].rule_id;
	}
	return 0;
}

static __always_inline __u16 csum_fold(__u64 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/*
 * Turns the packet into the start of an ICMP error back to its sender: keeps its first `quote`
 * bytes after the Ethernet header, opens `room` bytes in front of them for the error's headers,
 * and swaps the Ethernet addresses. 0 on success.
 */
static __always_inline int make_icmp_error(struct __sk_buff *skb, __u32 quote, __u32 room)
{
	__u8 macs[12], swapped[12];

	if (skb->len < ETH_HLEN + quote || bpf_skb_load_bytes(skb, 0, macs, sizeof(macs)))
		return -1;
	__builtin_memcpy(swapped, macs + 6, 6);
	__builtin_memcpy(swapped + 6, macs, 6);
	/* Trim first: that also ends GSO (skb_gso_reset), which adjust_room needs for a UDP GSO skb. */
	if (bpf_skb_change_tail(skb, ETH_HLEN + quote, 0) || bpf_skb_adjust_room(skb, room, BPF_ADJ_ROOM_MAC, 0))
		return -1;
	return bpf_skb_store_bytes(skb, 0, swapped, sizeof(swapped), 0) ? -1 : 0;
}

/* The folded checksum of the `len` packet bytes at `off` (and `seed`); -1 when they are not there. */
static __always_inline int packet_csum(struct __sk_buff *skb, __u32 off, __u32 len, __u64 seed)
{
	void *data, *data_end;

	if (bpf_skb_pull_data(skb, off + len))
		return -1;
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	if (data + off + len > data_end)
		return -1;
	return csum_fold(bpf_csum_diff(0, 0, data + off, len, seed));
}

/* Hands the ICMP error to the host's own stack, as if it had come from the network. */
static __always_inline int deliver_to_host(struct __sk_buff *skb)
{
	event(CAIRN_EV_TOO_BIG);
	return bpf_redirect(skb->ifindex, BPF_F_INGRESS);
}

/*
 * Turns the packet into an ICMPv6 Packet Too Big for its sender, quoting its first
 * CAIRN_PTB6_QUOTE bytes, and hands it to the host's own stack, which lowers the path MTU
 * of the destination (TCP resegments, UDP fragments).
 */
static __always_inline int packet_too_big6(struct __sk_buff *skb, const struct pkt *p, __u32 mtu)
{
	const __u32 msg_len = 8 + CAIRN_PTB6_QUOTE;
	struct {
		struct ipv6hdr ip6;
		__u8 type, code;
		__u16 csum;
		__be32 mtu;
	} h = {};
	struct {
		__u8 src[16], dst[16];
		__be32 len;
		__u8 zero[3], nexthdr;
	} pseudo = {};
	int csum;

	if (p->l3_len < CAIRN_PTB6_QUOTE || make_icmp_error(skb, CAIRN_PTB6_QUOTE, sizeof(h)))
		return -CAIRN_EV_TOO_BIG_LOST;
	h.ip6.version = 6;
	h.ip6.payload_len = bpf_htons(msg_len);
	h.ip6.nexthdr = NEXTHDR_ICMP6;
	h.ip6.hop_limit = 64;
	__builtin_memcpy(&h.ip6.saddr, p->daddr, 16);
	__builtin_memcpy(&h.ip6.daddr, p->saddr, 16);
	h.type = ICMPV6_PKT_TOOBIG;
	h.mtu = bpf_htonl(mtu);
	if (bpf_skb_store_bytes(skb, ETH_HLEN, &h, sizeof(h), 0))
		return -CAIRN_EV_TOO_BIG_LOST;
	__builtin_memcpy(pseudo.src, p->daddr, 16);
	__builtin_memcpy(pseudo.dst, p->saddr, 16);
	pseudo.len = bpf_htonl(msg_len);
	pseudo.nexthdr = NEXTHDR_ICMP6;
	csum = packet_csum(skb, ETH_HLEN + IP6_HLEN, msg_len, bpf_csum_diff(0, 0, (__be32 *)&pseudo, sizeof(pseudo), 0));
	h.csum = csum;
	if (csum < 0 || bpf_skb_store_bytes(skb, ETH_HLEN + IP6_HLEN + 2, &h.csum, 2, 0))
		return -CAIRN_EV_TOO_BIG_LOST;
	return deliver_to_host(skb);
}

/* ICMPv4 Fragmentation Needed with the next-hop MTU, for a DF packet; as packet_too_big6. */
static __always_inline int packet_too_big4(struct __sk_buff *skb, const struct pkt *p, __u32 mtu)
{
	const __u32 msg_len = 8 + CAIRN_PTB4_QUOTE;
	struct {
		struct iphdr ip;
		__u8 type, code;
		__u16 csum;
		__be16 unused;
		__be16 mtu;
	} h = {};
	int csum;

	if (!p->df)
		return -CAIRN_EV_TOO_BIG_LOST; /* fragmenting is the sender's job: the agent's route MTU tells it */
	if (p->l3_len < CAIRN_PTB4_QUOTE || make_icmp_error(skb, CAIRN_PTB4_QUOTE, sizeof(h)))
		return -CAIRN_EV_TOO_BIG_LOST;
	h.ip.version = 4;
	h.ip.ihl = 5;
	h.ip.tos = 0xc0;
	h.ip.tot_len = bpf_htons(sizeof(struct iphdr) + msg_len);
	h.ip.ttl = 64;
	h.ip.protocol = IPPROTO_ICMP;
	__builtin_memcpy(&h.ip.saddr, p->daddr + 12, 4);
	__builtin_memcpy(&h.ip.daddr, p->saddr + 12, 4);
	h.ip.check = csum_fold(bpf_csum_diff(0, 0, (__be32 *)&h.ip, sizeof(h.ip), 0));
	h.type = ICMP_DEST_UNREACH_;
	h.code = ICMP_FRAG_NEEDED_;
	h.mtu = bpf_htons(mtu);
	if (bpf_skb_store_bytes(skb, ETH_HLEN, &h, sizeof(h), 0))
		return -CAIRN_EV_TOO_BIG_LOST;
	csum = packet_csum(skb, ETH_HLEN + sizeof(struct iphdr), msg_len, 0);
	h.csum = csum;
	if (csum < 0 || bpf_skb_store_bytes(skb, ETH_HLEN + sizeof(struct iphdr) + 2, &h.csum, 2, 0))
		return -CAIRN_EV_TOO_BIG_LOST;
	return deliver_to_host(skb);
}

/*
 * Whether the packet still fits the device MTU once `grow` bytes are added.
 * 0: fits (TCP GSO skbs always do: bpf_skb_adjust_room lowers their gso_size);
 * else the largest L3 packet that would have fitted, for the ICMP error.
 */
static __always_inline __u32 too_big(struct __sk_buff *skb, const struct pkt *p, __u32 grow)
{
	__u32 mtu = 0;
	int ret;

	if (skb->gso_size) {
		__u32 seg;

		if (p->proto != IPPROTO_UDP)
			return 0;
		/* UDP GSO keeps its gso_size (datagram boundaries): each segment grows by `grow`. */
		ret = bpf_check_mtu(skb, 0, &mtu, 0, 0);
		if (ret < 0)
			return 0;
		seg = p->hdrs_len + 8 + skb->gso_size;
		return seg + grow > mtu ? mtu - grow : 0;
	}
	/* Every link that carries IPv6 has an MTU of at least 1280 (RFC 8200 5): no need to ask. */
	if (skb->len - ETH_HLEN + grow <= 1280)
		return 0;
	ret = bpf_check_mtu(skb, 0, &mtu, grow, 0);
	if (ret == BPF_MTU_CHK_RET_FRAG_NEEDED)
		return mtu > grow ? mtu - grow : 1;
	return 0;
}

/* Copies nsegs SIDs (SRH order, 16 bytes each) to dst, a packet pointer at a constant offset; -1 if the packet is too short. */
static __always_inline int write_segs(void *dst, const void *end, const __u8 *segs, __u32 nsegs, const __u32 max)
{
	__u32 i;

	for (i = 0; i < max; i++) {
		if (i >= nsegs)
			break;
		if (dst + 16 * (i + 1) > end)
			return -1;
		__builtin_memcpy(dst + 16 * i, segs + 16 * i, 16);
	}
	return 0;
}

/* Makes the first `len` bytes writable in the linear part; 0 on success. */
static __always_inline int linear(struct __sk_buff *skb, __u32 len)
{
	if ((void *)(long)skb->data + len <= (void *)(long)skb->data_end)
		return 0;
	return bpf_skb_pull_data(skb, len);
}

static __always_inline void count_steered(__u32 rule_id, __u32 gso_segs, __u32 len, __u32 on_backup)
{
	struct cairn_counters *c = bpf_map_lookup_elem(&cairn_stats, &rule_id);
	__u32 n = gso_segs > 1 ? gso_segs : 1;

	if (!c)
		return;
	c->packets += n;
	c->bytes += len;
	if (on_backup)
		c->backup_packets += n;
}

static __always_inline int insert_srh(struct __sk_buff *skb, const struct pkt *p, const struct cairn_path *path)
{
	struct srh_head h = {};
	__u32 nsegs = path->nsegs, seg_bytes, srh_len, mtu, payload;
	__u32 srh_off = IP6_OFF + IP6_HLEN + p->hbh_len;
	__u64 flags = 0;
	__be16 pl;

	if (nsegs == 0)
		return 0;
	if (nsegs > CAIRN_MAX_SIDS - 1)
		return -CAIRN_EV_TORN;
	seg_bytes = nsegs * 16;
	srh_len = SRH_FIXED + 16 + seg_bytes;

	mtu = too_big(skb, p, srh_len);
	if (mtu)
		return packet_too_big6(skb, p, mtu);
	payload = p->l3_len - IP6_HLEN + srh_len;
	if (payload > 0xffff) {
		if (!skb->gso_size) /* only a jumbo device could get here */
			return packet_too_big6(skb, p, 0xffff - srh_len);
		payload = 0; /* as BIG TCP: segmentation writes each segment's length */
	}

	h.nexthdr = p->nexthdr;
	h.hdrlen = (srh_len - 8) / 8;
	h.type = SRH_TYPE_SEGMENT_ROUTING;
	h.segments_left = nsegs;
	h.last_entry = nsegs;

	if (skb->gso_size && p->proto == IPPROTO_UDP)
		flags = BPF_F_ADJ_ROOM_FIXED_GSO;
	if (bpf_skb_adjust_room(skb, srh_len, BPF_ADJ_ROOM_NET, flags))
		return -CAIRN_EV_ADJUST_ROOM;

	pl = bpf_htons(payload);
	if (!p->hbh_len) {
		/* the common case: constant offsets, direct packet writes */
		const __u32 need = IP6_OFF + IP6_HLEN + SRH_FIXED + 16;
		struct ipv6hdr *ip6;
		struct srh_head *srh;
		void *data, *end;

		if (linear(skb, need + seg_bytes))
			return -CAIRN_EV_STORE;
		data = (void *)(long)skb->data;
		end = (void *)(long)skb->data_end;
		ip6 = data + IP6_OFF;
		srh = data + IP6_OFF + IP6_HLEN;
		if (data + need > end)
			return -CAIRN_EV_STORE;
		*srh = h;
		__builtin_memcpy(data + IP6_OFF + IP6_HLEN + SRH_FIXED, p->daddr, 16);
		if (write_segs(data + need, end, path->segs[0], nsegs, CAIRN_MAX_SIDS))
			return -CAIRN_EV_STORE;
		ip6->nexthdr = NEXTHDR_ROUTING;
		ip6->payload_len = pl;
		__builtin_memcpy(&ip6->daddr, path->segs[(nsegs - 1) & 15], 16);
		return 0;
	}

	/* adjust_room opened the gap right after the IPv6 header: move the hop-by-hop options in front of it. */
	{
		__u8 hbh[CAIRN_MAX_HBH];
		__u32 hlen = p->hbh_len;

		if (hlen > CAIRN_MAX_HBH || hlen < 8)
			return -CAIRN_EV_STORE;
		if (bpf_skb_load_bytes(skb, IP6_OFF + IP6_HLEN + srh_len, hbh, hlen))
			return -CAIRN_EV_STORE;
		hbh[0] = NEXTHDR_ROUTING;
		if (bpf_skb_store_bytes(skb, IP6_OFF + IP6_HLEN, hbh, hlen, 0))
			return -CAIRN_EV_STORE;
	}
	if (bpf_skb_store_bytes(skb, srh_off, &h, sizeof(h), 0) ||
	    bpf_skb_store_bytes(skb, srh_off + SRH_FIXED, p->daddr, 16, 0) ||
	    bpf_skb_store_bytes(skb, srh_off + SRH_FIXED + 16, path->segs, seg_bytes, 0) ||
	    bpf_skb_store_bytes(skb, IP6_OFF + offsetof(struct ipv6hdr, payload_len), &pl, 2, 0) ||
	    bpf_skb_store_bytes(skb, IP6_OFF + offsetof(struct ipv6hdr, daddr), path->segs[nsegs - 1], 16, 0))
		return -CAIRN_EV_STORE;
	return 0;
}

static __always_inline int encapsulate(struct __sk_buff *skb, const struct pkt *p, const struct cairn_path *path,
				       const struct cairn_config *cfg)
{
	struct {
		struct ipv6hdr ip6;
		struct srh_head srh;
	} h = {};
	__u32 nsegs = path->nsegs, seg_bytes, outer, mtu, payload, flow;
	__be16 eth_proto = bpf_htons(ETH_P_IPV6);
	__u64 flags = BPF_F_ADJ_ROOM_ENCAP_L3_IPV6;

	if (nsegs == 0 || nsegs > CAIRN_MAX_SIDS)
		return -CAIRN_EV_TORN;
	seg_bytes = nsegs * 16;
	outer = sizeof(h) + seg_bytes;

	mtu = too_big(skb, p, outer);
	if (mtu)
		return packet_too_big4(skb, p, mtu);
	payload = SRH_FIXED + seg_bytes + p->l3_len;
	if (payload > 0xffff)
		payload = 0; /* a GSO skb: segmentation writes each segment's length */

	flow = bpf_get_hash_recalc(skb) & 0xfffff;
	h.ip6.version = 6;
	h.ip6.priority = p->tos >> 4;
	h.ip6.flow_lbl[0] = ((p->tos & 0xf) << 4) | (flow >> 16);
	h.ip6.flow_lbl[1] = flow >> 8;
	h.ip6.flow_lbl[2] = flow;
	h.ip6.payload_len = bpf_htons(payload);
	h.ip6.nexthdr = NEXTHDR_ROUTING;
	h.ip6.hop_limit = 64;
	__builtin_memcpy(&h.ip6.saddr, cfg->encap_src, 16);
	h.srh.nexthdr = IPPROTO_IPIP_;
	h.srh.hdrlen = seg_bytes / 8;
	h.srh.type = SRH_TYPE_SEGMENT_ROUTING;
	h.srh.segments_left = nsegs - 1;
	h.srh.last_entry = nsegs - 1;

	if (skb->gso_size && p->proto == IPPROTO_UDP)
		flags |= BPF_F_ADJ_ROOM_FIXED_GSO;
	__builtin_memcpy(&h.ip6.daddr, path->segs[(nsegs - 1) & 15], 16);
	if (bpf_skb_adjust_room(skb, outer, BPF_ADJ_ROOM_MAC, flags))
		return -CAIRN_EV_ADJUST_ROOM;
	if (linear(skb, ETH_HLEN + outer))
		return -CAIRN_EV_STORE;
	{
		void *data = (void *)(long)skb->data;
		void *end = (void *)(long)skb->data_end;
		struct ethhdr *eth = data;

		if (data + ETH_HLEN + sizeof(h) > end)
			return -CAIRN_EV_STORE;
		eth->h_proto = eth_proto;
		__builtin_memcpy(data + ETH_HLEN, &h, sizeof(h));
		if (write_segs(data + ETH_HLEN + sizeof(h), end, path->segs[0], nsegs, CAIRN_MAX_SIDS))
			return -CAIRN_EV_STORE;
	}
	return 0;
}

/* 1 when the probe's payload says it is one of the agent's; its header in *ph. */
static __always_inline int is_probe(struct __sk_buff *skb, const struct pkt *p, const struct cairn_config *cfg, struct cairn_probe_hdr *ph)
{
	if (!cfg->probe_port || p->family != 6 || p->proto != IPPROTO_UDP || p->hbh_len || p->frag || !p->has_port)
		return 0;
	if (p->sport != cfg->probe_port || p->dport != cfg->probe_port)
		return 0;
	if (bpf_skb_load_bytes(skb, IP6_OFF + p->hdrs_len + 8, ph, sizeof(*ph)))
		return 0;
	return ph->magic == CAIRN_PROBE_MAGIC && ph->secret == cfg->probe_secret;
}

/*
 * Gives a probe its path's loopback SRH (final segment: this host, the probe's own source), fixes
 * the UDP checksum for that final destination, and stamps the path's send time.
 */
static __always_inline int send_probe(struct __sk_buff *skb, const struct pkt *p, const struct cairn_probe_hdr *ph)
{
	const __u32 need = IP6_OFF + IP6_HLEN + SRH_FIXED + 16;
	__u32 slot = ph->ref & CAIRN_PATH_SLOT_MASK, nsegs, seg_bytes, srh_len;
	const struct cairn_probe_path *pp = bpf_map_lookup_elem(&cairn_probes, &slot);
	struct cairn_live *live;
	struct srh_head h = {};
	struct ipv6hdr *ip6;
	void *data, *end;
	__s64 diff;

	if (!pp || pp->ref != ph->ref || !pp->nsegs || pp->nsegs > CAIRN_MAX_PROBE_SIDS)
		return -CAIRN_EV_PROBE_UNKNOWN;
	nsegs = pp->nsegs;
	seg_bytes = nsegs * 16;
	srh_len = SRH_FIXED + 16 + seg_bytes;
	h.nexthdr = IPPROTO_UDP;
	h.hdrlen = (srh_len - 8) / 8;
	h.type = SRH_TYPE_SEGMENT_ROUTING;
	h.segments_left = nsegs;
	h.last_entry = nsegs;
	if (bpf_skb_adjust_room(skb, srh_len, BPF_ADJ_ROOM_NET, 0) || linear(skb, need + seg_bytes))
		return -CAIRN_EV_ADJUST_ROOM;
	data = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	ip6 = data + IP6_OFF;
	if (data + need > end)
		return -CAIRN_EV_STORE;
	__builtin_memcpy(data + IP6_OFF + IP6_HLEN, &h, sizeof(h));
	__builtin_memcpy(data + IP6_OFF + IP6_HLEN + SRH_FIXED, p->saddr, 16);
	if (write_segs(data + need, end, pp->segs[0], nsegs, CAIRN_MAX_PROBE_SIDS))
		return -CAIRN_EV_STORE;
	ip6->nexthdr = NEXTHDR_ROUTING;
	ip6->payload_len = bpf_htons(p->l3_len - IP6_HLEN + srh_len);
	__builtin_memcpy(&ip6->daddr, pp->segs[(nsegs - 1) & 31], 16);
	/* The checksum's pseudo-header now ends at this host, not at the address the agent sent to. */
	diff = bpf_csum_diff((__be32 *)p->daddr, 16, (__be32 *)p->saddr, 16, 0);
	if (diff < 0 || bpf_l4_csum_replace(skb, IP6_OFF + IP6_HLEN + srh_len + 6, 0, diff, BPF_F_PSEUDO_HDR | BPF_F_MARK_MANGLED_0))
		return -CAIRN_EV_STORE;
	live = bpf_map_lookup_elem(&cairn_live, &slot);
	if (live && live->ref == ph->ref) {
		__u64 now = bpf_ktime_get_ns();

		live->last_sent_ns = now;
		if (live->first_unanswered_ns <= live->last_return_ns)
			live->first_unanswered_ns = now;
	}
	return 0;
}

/*
 * Whether a path may carry packets now: not while its probes go out and do not come back, nor
 * during the hold-down after it came back. A path nobody probes, or whose prober fell silent
 * (a crashed or restarting agent), is never condemned.
 */
static __always_inline int path_alive(__u32 ref, __u64 now)
{
	__u32 slot = ref & CAIRN_PATH_SLOT_MASK;
	const struct cairn_live *live = bpf_map_lookup_elem(&cairn_live, &slot);
	__u64 sent, ret, up, unanswered;

	if (!live || live->ref != ref)
		return 1;
	sent = *(volatile __u64 *)&live->last_sent_ns;
	ret = *(volatile __u64 *)&live->last_return_ns;
	up = *(volatile __u64 *)&live->up_since_ns;
	unanswered = *(volatile __u64 *)&live->first_unanswered_ns;
	/* Not probed, the prober fell silent, or no probe has come back yet (not judged before it is armed). */
	if (!sent || !ret || now - sent > (__u64)live->stale_us * 1000)
		return 1;
	/*
	 * Down when probes have gone out for longer than the threshold since the last one came back: not
	 * merely when the last return is old (a prober that paused, then probes again, condemns nothing).
	 */
	if (unanswered > ret && now > unanswered && now - unanswered > (__u64)live->threshold_us * 1000)
		return 0;
	return !up || now - up >= (__u64)live->holddown_ms * 1000000;
}

/* The rule for the packet, or 0. */
static __always_inline __u32 find_rule(struct __sk_buff *skb, const struct pkt *p, const struct cairn_config *cfg)
{
	__u32 classes[CAIRN_MAX_CLASSES] = {};
	__u32 any = p->family == 6 ? CAIRN_CFG_ANY_V6 : CAIRN_CFG_ANY_V4;
	__u32 uid, rule_id;
	int n, i;

	n = cgroup_classes(skb, cfg, classes);
	if (!n && !(cfg->flags & any))
		return 0; /* the cheap gate: nothing for this process or for any process */
	uid = cfg->flags & CAIRN_CFG_UID ? bpf_get_socket_uid(skb) : CAIRN_ANY_UID;
	for (i = 0; i < CAIRN_MAX_CLASSES; i++) {
		if (i >= n)
			break;
		rule_id = classify(classes[i], p, uid);
		if (rule_id)
			return rule_id;
	}
	return cfg->flags & any ? classify(0, p, uid) : 0;
}

static __always_inline int steer(struct __sk_buff *skb, const struct cairn_config *cfg)
{
	struct pkt p = {};
	struct cairn_frag_key fk = {};
	const struct cairn_rule_state *rs;
	const struct cairn_path *path;
	struct cairn_counters *c;
	__u32 rule_id = 0, primary, backup, flags, ref, slot, on_backup;
	__u32 len_before = skb->len, gso_segs = skb->gso_segs; /* adjust_room zeroes gso_segs */
	int ret;

	if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		if (!(cfg->flags & CAIRN_CFG_V6))
			return PASS;
		ret = parse6(skb, &p);
	} else if (skb->protocol == bpf_htons(ETH_P_IP)) {
		if (!(cfg->flags & CAIRN_CFG_V4))
			return PASS;
		ret = parse4(skb, &p);
	} else {
		return PASS;
	}
	if (ret > 0)
		return PASS;
	if (ret < 0) {
		event(-ret);
		return PASS;
	}
	{
		struct cairn_probe_hdr ph;

		if (is_probe(skb, &p, cfg, &ph)) {
			ret = send_probe(skb, &p, &ph);
			if (ret < 0) {
				event(-ret);
				return TC_ACT_SHOT;
			}
			return PASS;
		}
	}

	if (p.frag) {
		__builtin_memcpy(fk.daddr, p.daddr, 16);
		fk.id = p.frag_id;
	}
	if (p.frag == 2) {
		__u32 *r = bpf_map_lookup_elem(&cairn_frags, &fk);

		if (!r) {
			event(CAIRN_EV_FRAGMENT);
			return PASS;
		}
		rule_id = *r;
	} else {
		rule_id = find_rule(skb, &p, cfg);
		if (!rule_id)
			return PASS;
		if (p.frag == 1)
			bpf_map_update_elem(&cairn_frags, &fk, &rule_id, BPF_ANY);
	}

	rs = bpf_map_lookup_elem(&cairn_rule_state, &rule_id);
	if (!rs)
		return PASS;
	primary = *(volatile __u32 *)&rs->primary;
	backup = *(volatile __u32 *)&rs->backup;
	flags = *(volatile __u32 *)&rs->flags;
	ref = 0;
	on_backup = 0;
	if (*(volatile __u32 *)&rs->check != cairn_rule_check(rule_id, primary, backup, flags)) {
		event(CAIRN_EV_TORN);
	} else {
		__u64 now = bpf_ktime_get_ns();

		if (flags & CAIRN_RULE_NO_LIVENESS) {
			/* Its intent asked for no probes: another rule's probes of the same path decide nothing for it. */
			ref = primary;
		} else {
			on_backup = backup && ((flags & CAIRN_RULE_USE_BACKUP) || (primary && !path_alive(primary, now)));
			ref = on_backup ? backup : primary;
			if (ref && !path_alive(ref, now))
				ref = 0; /* no live path: onFailure decides */
		}
	}

	path = NULL;
	if (ref) {
		slot = ref & CAIRN_PATH_SLOT_MASK;
		path = bpf_map_lookup_elem(&cairn_paths, &slot);
		if (path && path->ref != ref) {
			event(CAIRN_EV_TORN);
			path = NULL;
		}
		if (path && path->mode != (p.family == 6 ? CAIRN_MODE_INLINE : CAIRN_MODE_ENCAP))
			path = NULL;
	}
	if (!path) {
		c = bpf_map_lookup_elem(&cairn_stats, &rule_id);
		if (flags & CAIRN_RULE_CLOSED) {
			if (c)
				c->closed_packets += gso_segs > 1 ? gso_segs : 1;
			return TC_ACT_SHOT;
		}
		if (c)
			c->open_packets += gso_segs > 1 ? gso_segs : 1;
		return PASS;
	}

	ret = p.family == 6 ? insert_srh(skb, &p, path) : encapsulate(skb, &p, path, cfg);
	if (ret == TC_ACT_REDIRECT)
		return TC_ACT_REDIRECT;
	if (ret < 0) {
		event(-ret);
		return TC_ACT_SHOT;
	}
	count_steered(rule_id, gso_segs, len_before, on_backup);
	return PASS;
}

SEC("tc")
int cairn_egress(struct __sk_buff *skb)
{
	__u32 zero = 0;
	const struct cairn_config *cfg = bpf_map_lookup_elem(&cairn_config, &zero);

	if (!cfg || !cfg->flags)
		return PASS;
	return steer(skb, cfg);
}

/*
 * tc ingress of the same interface: stamps the return of each of the agent's probes (after the
 * last segment, addressed to this host with segments left 0). Lets every packet through.
 */
SEC("tc")
int cairn_ingress(struct __sk_buff *skb)
{
	__u32 zero = 0, slot, off;
	const struct cairn_config *cfg = bpf_map_lookup_elem(&cairn_config, &zero);
	struct {
		__be16 sport, dport, len, csum;
		struct cairn_probe_hdr ph;
	} u;
	struct srh_head srh;
	struct cairn_live *live;
	struct ipv6hdr *ip6;
	void *data, *end;
	__u64 now;

	if (!cfg || !cfg->probe_port || skb->protocol != bpf_htons(ETH_P_IPV6))
		return PASS;
	data = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	ip6 = data + IP6_OFF;
	if ((void *)(ip6 + 1) > end || ip6->nexthdr != NEXTHDR_ROUTING)
		return PASS;
	if (bpf_skb_load_bytes(skb, IP6_OFF + IP6_HLEN, &srh, sizeof(srh)))
		return PASS;
	if (srh.type != SRH_TYPE_SEGMENT_ROUTING || srh.nexthdr != IPPROTO_UDP || srh.segments_left != 0)
		return PASS;
	off = IP6_OFF + IP6_HLEN + ((__u32)srh.hdrlen + 1) * 8;
	if (bpf_skb_load_bytes(skb, off, &u, sizeof(u)))
		return PASS;
	if (bpf_ntohs(u.sport) != cfg->probe_port || bpf_ntohs(u.dport) != cfg->probe_port ||
	    u.ph.magic != CAIRN_PROBE_MAGIC || u.ph.secret != cfg->probe_secret)
		return PASS;
	slot = u.ph.ref & CAIRN_PATH_SLOT_MASK;
	live = bpf_map_lookup_elem(&cairn_live, &slot);
	if (!live || live->ref != u.ph.ref)
		return PASS;
	now = bpf_ktime_get_ns();
	/*
	 * Back after the path was down (probes went out unanswered for longer than the threshold): the
	 * hold-down starts. A gap without probes (a paused prober) is no failure; the first return ever
	 * arms the path, it is no recovery either.
	 */
	if (live->last_return_ns && live->first_unanswered_ns > live->last_return_ns &&
	    now > live->first_unanswered_ns && now - live->first_unanswered_ns > (__u64)live->threshold_us * 1000)
		live->up_since_ns = now;
	live->last_return_ns = now;
	return PASS;
}

/* GPL-compatible so GPL-only helpers stay usable. */
char LICENSE[] SEC("license") = "Dual BSD/GPL";
