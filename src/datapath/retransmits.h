/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TCP retransmission ring shared by retransmits.bpf.c and retransmit-layout.ts
 * (retransmit-layout.spec.ts checks the TS offsets and constants against the BTF of
 * the compiled object and the #defines below).
 *
 * The program appends one cairn_retx_event per retransmitted segment of a socket in
 * the watched network namespace: it takes a sequence number from cairn_retx_head
 * (seq = old head + 1), writes the event into slot (seq - 1) % CAIRN_RETX_SLOTS and
 * stores seq into it last. The agent polls the head and reads the slots it has not
 * seen: a slot whose seq is below the one expected is still being written, above it
 * has been overwritten (the agent fell more than CAIRN_RETX_SLOTS behind).
 */
#ifndef CAIRN_RETRANSMITS_H
#define CAIRN_RETRANSMITS_H

#include <linux/types.h>

/* Slots of the ring (a power of two). */
#define CAIRN_RETX_SLOTS 256

/* ARRAY[CAIRN_RETX_SLOTS] value. Ports in host byte order; addresses network byte order, IPv4 IPv4-mapped. */
struct cairn_retx_event {
	__u64 seq;       /* 1, 2, ...; 0: never written */
	__u64 ns;        /* bpf_ktime_get_ns() (CLOCK_MONOTONIC) of the retransmission */
	__u16 family;    /* AF_INET or AF_INET6 (of the socket) */
	__u16 sport;
	__u16 dport;
	__u16 state;     /* the socket's TCP state (TCP_ESTABLISHED = 1, TCP_SYN_SENT = 2, ...) */
	__u8 saddr[16];
	__u8 daddr[16];
};

/* ARRAY[1] value: what the agent asks of the program. */
struct cairn_retx_config {
	__u32 netns;     /* inode of the network namespace whose sockets count; 0: every namespace */
	__u32 pad;
};

#endif /* CAIRN_RETRANSMITS_H */
