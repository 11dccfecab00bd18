// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The passive signal: every TCP retransmission of a socket in the agent's
 * network namespace is appended to a ring the agent polls (layout in
 * retransmits.h). The hook is the tcp_retransmit_skb tracepoint, which the
 * kernel hits for RTO, fast and tail-loss-probe retransmissions alike, taken as
 * a raw tracepoint: its arguments are the socket and the segment, and every
 * field is read off the socket with CO-RE. So the program needs neither tracefs
 * (a classic tracepoint is found through /sys/kernel/tracing, which `ip netns
 * exec` and many containers do not mount) nor the tracepoint record's format.
 * The tracepoint is global to the kernel: only sockets of the namespace named
 * in cairn_retx_config count. The agent matches each event's destination to
 * the paths its rules use and probes them at once. Not pinned: it is a signal
 * only while the agent runs.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "retransmits.h"

#define AF_INET 2
#define AF_INET6 10

/*
 * Just the kernel fields the program reads; CO-RE finds their offsets in the running
 * kernel's BTF (skc_daddr and its neighbours sit in anonymous unions there).
 */
struct ns_common {
	unsigned int inum;
} __attribute__((preserve_access_index));

struct net {
	struct ns_common ns;
} __attribute__((preserve_access_index));

typedef struct {
	struct net *net;
} possible_net_t;

struct in6_addr {
	__u8 s6_addr[16];
} __attribute__((preserve_access_index));

struct sock_common {
	__be32 skc_daddr;
	__be32 skc_rcv_saddr;
	__be16 skc_dport;
	__u16 skc_num;
	unsigned short skc_family;
	unsigned char skc_state;
	possible_net_t skc_net;
	struct in6_addr skc_v6_daddr;
	struct in6_addr skc_v6_rcv_saddr;
} __attribute__((preserve_access_index));

struct sock {
	struct sock_common __sk_common;
} __attribute__((preserve_access_index));

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CAIRN_RETX_SLOTS);
	__type(key, __u32);
	__type(value, struct cairn_retx_event);
} cairn_retx_ring SEC(".maps");

/* ARRAY[1]: the number of events ever appended (the last seq). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} cairn_retx_head SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cairn_retx_config);
} cairn_retx_config SEC(".maps");

static __always_inline void mapped4(__u8 *dst, __be32 addr)
{
	__builtin_memset(dst, 0, 10);
	dst[10] = dst[11] = 0xff;
	__builtin_memcpy(&dst[12], &addr, 4);
}

/* tcp_retransmit_skb(const struct sock *sk, const struct sk_buff *skb[, int err]) */
SEC("raw_tracepoint/tcp_retransmit_skb")
int cairn_retransmit(struct bpf_raw_tracepoint_args *ctx)
{
	const struct sock *sk = (const struct sock *)ctx->args[0];
	__u32 zero = 0;
	struct cairn_retx_config *cfg = bpf_map_lookup_elem(&cairn_retx_config, &zero);
	__u64 *head = bpf_map_lookup_elem(&cairn_retx_head, &zero);

	if (!sk || !cfg || !head)
		return 0;
	if (cfg->netns && BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum) != cfg->netns)
		return 0;
	__u64 seq = __sync_fetch_and_add(head, 1) + 1;
	__u32 slot = (__u32)(seq - 1) & (CAIRN_RETX_SLOTS - 1);
	struct cairn_retx_event *e = bpf_map_lookup_elem(&cairn_retx_ring, &slot);

	if (!e)
		return 0;
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	e->ns = bpf_ktime_get_ns();
	e->family = family;
	e->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	e->state = BPF_CORE_READ(sk, __sk_common.skc_state);
	if (family == AF_INET6) {
		/* an IPv6 socket talking IPv4 holds IPv4-mapped addresses, as the ring wants them */
		bpf_core_read(e->saddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(e->daddr, 16, &sk->__sk_common.skc_v6_daddr);
	} else {
		mapped4(e->saddr, BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr));
		mapped4(e->daddr, BPF_CORE_READ(sk, __sk_common.skc_daddr));
	}
	/*
	 * Last: the agent takes a slot whose seq is the one it expects as complete. A compiler
	 * barrier only (clang 14 has no release store for BPF): a reader that still catches a
	 * half-written slot gets a wrong address, i.e. at worst one needless probe.
	 */
	asm volatile("" ::: "memory");
	*(volatile __u64 *)&e->seq = seq;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
