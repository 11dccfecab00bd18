/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Map layouts shared by egress.bpf.c and the TypeScript encoders in layout.ts.
 * This header is the source of truth: layout.spec.ts checks the TS offsets and
 * constants against the BTF of the compiled object and the #defines below.
 * Every struct is padded explicitly (no implicit holes) because hash and LPM
 * maps compare keys bytewise, padding included.
 */
#ifndef CAIRN_H
#define CAIRN_H

#include <linux/types.h>

/* SIDs per path, not counting the packet's own destination (SRH holds up to +1). */
#define CAIRN_MAX_SEGMENTS 8
/* Rule ids are 1..CAIRN_MAX_RULES-1; 0 is never a rule. Also sizes the counter array. */
#define CAIRN_MAX_RULES 1024
/* Rules one LPM entry can hold (the entry's own rules plus those of covering prefixes). */
#define CAIRN_MAX_RULES_PER_PREFIX 16
/* Distinct (cgroup, prefix) entries in the LPM trie. */
#define CAIRN_MAX_PREFIXES 1024
/* Bits of cairn_lpm_key.data before the address: pad (32) + cgroup_id (64). */
#define CAIRN_LPM_FIXED_BITS 96

/* Reasons a packet was dropped; index into cairn_drops. */
#define CAIRN_DROP_ADJUST_ROOM 1 /* bpf_skb_adjust_room failed */
#define CAIRN_DROP_STORE 2       /* bpf_skb_store_bytes failed after the SRH was inserted */
#define CAIRN_DROP_MTU 3         /* non-GSO packet would exceed the device MTU with the SRH */
#define CAIRN_DROP_MAX 4

/*
 * LPM trie key. The kernel matches the bytes after prefixlen bit by bit;
 * prefixlen is always CAIRN_LPM_FIXED_BITS + the IPv6 prefix length, so pad and
 * cgroup_id are always fully matched and cgroup_id can stay in host byte order.
 * cgroup_id 0 holds the rules for any application.
 */
struct cairn_lpm_key {
	__u32 prefixlen;
	__u32 pad;        /* always 0 */
	__u64 cgroup_id;
	__u8 addr[16];    /* network byte order, host bits zero */
};

/* One rule as seen by the classifier. Ports are host byte order, inclusive. */
struct cairn_rule_slot {
	__u32 rule_id;
	__u8 protocol;    /* 0 = any */
	__u8 pad;
	__u16 port_from;
	__u16 port_to;
	__u16 pad2;
};

/*
 * LPM trie value: rules to try, in order, first match wins. Userspace stores in
 * each entry its own rules followed by those of every shorter prefix of the same
 * cgroup that covers it (longest prefix first, then ascending rule id), so one
 * lookup per cgroup finds the most specific rule that also matches proto/ports.
 */
struct cairn_rule_set {
	__u32 count;
	__u32 pad;
	struct cairn_rule_slot slots[CAIRN_MAX_RULES_PER_PREFIX];
};

/*
 * HASH value keyed by __u32 rule id. segs is already in SRH order minus the
 * final destination: segs[i] becomes Segment List[i + 1], so segs[nsegs - 1] is
 * the first SID visited and becomes the packet's destination address.
 * Replacing this one element switches a rule's path atomically.
 */
struct cairn_path {
	__u32 nsegs;      /* 1..CAIRN_MAX_SEGMENTS */
	__u32 pad;
	__u8 segs[CAIRN_MAX_SEGMENTS][16];
};

/* PERCPU_ARRAY value indexed by rule id. */
struct cairn_counters {
	__u64 packets;    /* wire packets: gso_segs for a GSO skb, else 1 */
	__u64 bytes;      /* skb->len at tc egress before the SRH is added (Ethernet header included) */
};

#endif /* CAIRN_H */
