/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Map layouts shared by egress.bpf.c and the TypeScript encoders in layout.ts.
 * This header is the source of truth: layout.spec.ts checks the TS offsets and
 * constants against the BTF of the compiled object and the #defines below.
 * Every struct is padded explicitly (no implicit holes) because hash and LPM
 * maps compare keys bytewise, padding included.
 *
 * Identities and atomicity (README "Datapath"):
 * - A rule id indexes cairn_rule_state and cairn_stats; it is never reused
 *   while an LPM slot names it, and survives agent restarts (pinned maps).
 * - A path ref is (slot | generation << 16). A slot's content is immutable
 *   while any rule refers to it; the agent rewrites a slot only after a drain,
 *   under a new generation, so a stale ref never matches new content.
 * - A rule switches paths by one write of its cairn_rule_state entry; its
 *   check word lets the program detect (and refuse) a torn read.
 */
#ifndef CAIRN_H
#define CAIRN_H

#include <linux/types.h>

/* SIDs a path holds. Inline paths use at most CAIRN_MAX_SIDS - 1 (the SRH adds the final destination). */
#define CAIRN_MAX_SIDS 9
/* SIDs of a loopback probe: out along the path (8), the egress router's End SID, back (8); the host is appended. */
#define CAIRN_MAX_PROBE_SIDS 17
/* First word of a probe's UDP payload. */
#define CAIRN_PROBE_MAGIC 0x4352504e
/* Rule slots one LPM entry holds (its own rules plus those of covering prefixes). */
#define CAIRN_MAX_RULES_PER_PREFIX 16
/* Bits of cairn_lpm_key.data before the address: class_id (32). */
#define CAIRN_LPM_FIXED_BITS 32
/* Cgroup levels the program looks at (0 = root, never a rule's cgroup). */
#define CAIRN_MAX_CGROUP_LEVEL 31
/* Cgroup classes one packet can match (deepest first), besides class 0 (any process). */
#define CAIRN_MAX_CLASSES 4
/* Longest hop-by-hop options header the program moves in front of an SRH. */
#define CAIRN_MAX_HBH 64
/* Bytes of the offending packet quoted in an ICMPv6 Packet Too Big / ICMPv4 Fragmentation Needed. */
#define CAIRN_PTB6_QUOTE 256
#define CAIRN_PTB4_QUOTE 68

/* Default map sizes (the agent may set others at load time). */
#define CAIRN_DEFAULT_MAX_RULES 1024
#define CAIRN_DEFAULT_MAX_PATHS 1024
#define CAIRN_DEFAULT_MAX_PREFIXES 1024
#define CAIRN_DEFAULT_MAX_CGROUPS 256
#define CAIRN_DEFAULT_MAX_FRAGMENTS 4096

#define CAIRN_ANY_UID 0xffffffffu
#define CAIRN_PATH_SLOT_MASK 0xffffu

/* cairn_path.mode */
#define CAIRN_MODE_INLINE 1 /* IPv6: SRH inserted after the IPv6 header (and hop-by-hop options) */
#define CAIRN_MODE_ENCAP 2  /* IPv4: outer IPv6 + SRH (H.Encaps); the last SID decapsulates */

/* cairn_rule_state.flags */
#define CAIRN_RULE_CLOSED 1     /* no usable path: drop the packets (else send them unsteered) */
#define CAIRN_RULE_USE_BACKUP 2 /* send on the backup path */
#define CAIRN_RULE_NO_LIVENESS 4 /* probes off for its intent: send on the primary whatever its liveness (no backup, no failover) */

/* cairn_config.flags */
#define CAIRN_CFG_V6 1     /* some rule has an IPv6 destination */
#define CAIRN_CFG_V4 2     /* some rule has an IPv4 destination */
#define CAIRN_CFG_ANY_V6 4 /* some IPv6 rule is for any process (class 0) */
#define CAIRN_CFG_ANY_V4 8 /* some IPv4 rule is for any process (class 0) */
#define CAIRN_CFG_UID 16   /* some rule filters on the socket's owner */

/* Events, counted per CPU; index into cairn_events. */
#define CAIRN_EV_TOO_BIG 1      /* too big for the path MTU: dropped, ICMP error sent to the sender */
#define CAIRN_EV_TOO_BIG_LOST 2 /* too big, and no ICMP error could be sent (or not allowed): dropped */
#define CAIRN_EV_ADJUST_ROOM 3  /* bpf_skb_adjust_room failed: dropped */
#define CAIRN_EV_STORE 4        /* a header write failed after the packet grew: dropped */
#define CAIRN_EV_TORN 5         /* a rule or path entry was read mid-update: treated as having no path */
#define CAIRN_EV_UNSUPPORTED 6  /* matched nothing because of its headers (AH, long hop-by-hop): sent unsteered */
#define CAIRN_EV_FRAGMENT 7     /* a later fragment whose first fragment was not seen: sent unsteered */
#define CAIRN_EV_PROBE_UNKNOWN 8 /* a probe for a path the datapath does not hold (any more): dropped */
#define CAIRN_EV_MAX 9

/*
 * LPM trie key. prefixlen is always CAIRN_LPM_FIXED_BITS + the prefix length
 * over addr, so class_id is always fully matched (and may stay in host byte
 * order). IPv4 prefixes are written IPv4-mapped (::ffff:a.b.c.d, 96 + len).
 * class_id 0 holds the rules for any process.
 */
struct cairn_lpm_key {
	__u32 prefixlen;
	__u32 class_id;
	__u8 addr[16]; /* network byte order, host bits zero */
};

/* One rule as the classifier sees it: filters besides the destination. Ports host byte order, inclusive. */
struct cairn_rule_slot {
	__u32 rule_id;
	__u32 uid;       /* socket owner, or CAIRN_ANY_UID */
	__u8 protocol;   /* 0 = any */
	__u8 src_len;    /* source prefix length over src (IPv4: 96 + len); 0 = any source */
	__u16 port_from;
	__u16 port_to;
	__u16 pad;
	__u8 src[16];    /* network byte order, host bits zero */
};

/*
 * LPM trie value: rules to try, in order, first match wins. Userspace stores in
 * each entry its own rules followed by those of every shorter prefix of the same
 * class that covers it (longest prefix first, then intent order), so one lookup
 * per class finds the most specific rule that passes the filters.
 */
struct cairn_rule_set {
	__u32 count;
	__u32 pad;
	struct cairn_rule_slot slots[CAIRN_MAX_RULES_PER_PREFIX];
};

/* ARRAY value indexed by rule id: the paths the rule may use. */
struct cairn_rule_state {
	__u32 primary;  /* path ref, 0 = none */
	__u32 backup;   /* path ref, 0 = none */
	__u32 flags;    /* CAIRN_RULE_* */
	__u32 check;    /* cairn_rule_check(rule id, primary, backup, flags) */
	__u8 key[16];   /* digest of the rule's identity; the agent's, never read by the program */
};

/*
 * ARRAY value indexed by path slot. segs is in SRH order: segs[0] is the last
 * SID visited, segs[nsegs - 1] the first (the packet's new destination).
 * Inline: Segment List[0] is the packet's own destination, segs follow it.
 * Encap: segs are the whole Segment List (segs[0] decapsulates).
 */
struct cairn_path {
	__u32 ref;      /* the ref this content was written under; 0 = free */
	__u8 nsegs;     /* 0..CAIRN_MAX_SIDS; inline 0 = the IGP path: count, don't touch */
	__u8 mode;      /* CAIRN_MODE_* */
	__u16 pad;
	__u8 segs[CAIRN_MAX_SIDS][16];
};

/* ARRAY value indexed by path slot: the loopback probe of the path in that slot (same ref). SRH order, as cairn_path. */
struct cairn_probe_path {
	__u32 ref;
	__u8 nsegs;       /* 1..CAIRN_MAX_PROBE_SIDS; 0 = the path is not probed */
	__u8 pad[3];
	__u8 segs[CAIRN_MAX_PROBE_SIDS][16];
};

/*
 * ARRAY value indexed by path slot: the path's liveliness. The agent writes ref and the timings
 * when it starts probing a path; the egress program stamps each probe it sends, the ingress
 * program each one that comes back. Each field is one aligned 64- or 32-bit word.
 */
struct cairn_live {
	__u64 last_sent_ns;   /* bpf_ktime_get_ns() of the last probe sent */
	__u64 last_return_ns; /* of the last probe back; 0: none yet, the path is not judged (the agent arms a path that never answers) */
	__u64 up_since_ns;    /* first return after a gap longer than threshold (0: never down) */
	__u64 first_unanswered_ns; /* the first probe sent after the last return (the egress program's) */
	__u32 ref;            /* the path these times are for */
	__u32 threshold_us;   /* probes going out for this long since the last return, none back: the path is down */
	__u32 stale_us;       /* no probe sent for this long: the agent is silent, condemn nothing */
	__u32 holddown_ms;    /* a path that came back is used again only after this long */
};

/* UDP payload of a probe (host byte order: only this host reads it). */
struct cairn_probe_hdr {
	__u32 magic;   /* CAIRN_PROBE_MAGIC */
	__u32 secret;  /* cairn_config.probe_secret: an off-host packet cannot pose as a probe */
	__u32 ref;     /* the path probed */
	__u32 seq;
	__u64 sent_ns; /* the agent's clock, for its own RTT */
};

/* PERCPU_ARRAY value indexed by rule id. */
struct cairn_counters {
	__u64 packets;        /* steered wire packets: gso_segs for a GSO skb, else 1 */
	__u64 bytes;          /* skb->len at tc egress before any header is added (Ethernet header included) */
	__u64 open_packets;   /* matched, no usable path, sent unsteered (onFailure open) */
	__u64 closed_packets; /* matched, no usable path, dropped (onFailure closed) */
	__u64 backup_packets; /* of packets, those sent on the backup path */
};

/* ARRAY[1]: settings of the whole host. */
struct cairn_config {
	__u8 encap_src[16];   /* outer IPv6 source of encapsulated packets: the host's address */
	__u32 flags;          /* CAIRN_CFG_* */
	__u32 max_level;      /* deepest cgroup level a rule's cgroup sits at (0: no cgroup rules) */
	__u32 level_mask;     /* bit i: some rule's cgroup sits at level i */
	__u16 probe_port;     /* UDP source and destination port of the agent's probes (0: no probes) */
	__u16 pad;
	__u32 probe_secret;   /* carried by every probe */
};

/* LRU_HASH key: a fragmented datagram, so its later fragments take its first fragment's rule. */
struct cairn_frag_key {
	__u8 daddr[16];  /* IPv4-mapped for IPv4 */
	__u32 id;        /* IPv6 fragment id; IPv4: id | protocol << 16 */
	__u32 pad;
};

/* Mixes a rule state's words; the agent writes it, the program recomputes it on every read. */
static inline __u32 cairn_rule_check(__u32 rule_id, __u32 primary, __u32 backup, __u32 flags)
{
	__u32 h = 0x165667b1u ^ (rule_id * 0x27d4eb2fu);

	h = (h ^ primary) * 0x9e3779b1u;
	h = (h ^ (h >> 15) ^ backup) * 0x85ebca77u;
	h = (h ^ (h >> 13) ^ flags) * 0xc2b2ae3du;
	return h ^ (h >> 16);
}

#endif /* CAIRN_H */
