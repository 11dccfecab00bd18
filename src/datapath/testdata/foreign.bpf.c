// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Someone else's tc program, for tests that Cairn shares the egress hook and never replaces it. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

SEC("tc")
int foreign_egress(struct __sk_buff *skb)
{
	return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
