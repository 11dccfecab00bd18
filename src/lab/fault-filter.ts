// The packet filter of drop and loss faults: a classic BPF program that tc's bpf classifier runs in
// direct-action mode at the egress of a link's sending end. Pure.
//
// Why classic BPF: this kernel has no netem, no gact action (so no `action drop`) and no flower, but
// cls_bpf takes a classic program inline (no object file, no loader), and in direct-action mode the
// program's return value is the verdict. Classic BPF's ancillary load SKF_AD_RANDOM gives a random
// number per packet for partial loss.
//
// What it drops: IPv6 frames (SRv6, ICMPv6 echo, everything else) and IPv4 frames, except neighbour
// discovery (ICMPv6 types 133 to 137 right after the IPv6 header). IS-IS runs over 802.2 LLC, whose
// frames carry a length where the EtherType would be, so its hellos and LSPs pass and the IGP keeps its
// adjacency, as in a real gray failure where the forwarding plane loses packets and the control plane
// does not. Neighbour discovery and ARP pass for the same reason, and so that a one-way fault stays
// one-way: were the neighbour advertisements of the faulty direction dropped, the other direction's
// neighbour entries would expire and it would stop too.

export interface CbpfInsn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

export const ETH_P_IP = 0x0800;
export const ETH_P_IPV6 = 0x86dd;
/** tc verdicts a direct-action program returns. */
export const TC_ACT_OK = 0;
export const TC_ACT_SHOT = 2;

const BPF_LD_W_ABS = 0x20;
const BPF_LD_H_ABS = 0x28;
const BPF_LD_B_ABS = 0x30;
const BPF_JEQ_K = 0x15;
const BPF_JGT_K = 0x25;
const BPF_JGE_K = 0x35;
const BPF_RET_K = 0x06;
/** SKF_AD_OFF + SKF_AD_RANDOM: an absolute load from here yields a random u32. */
export const SKF_AD_RANDOM_OFFSET = (0xfffff000 + 56) >>> 0;
/** Offsets in an Ethernet frame (tc hands cls_bpf the frame from its MAC header): EtherType, IPv6 next header, ICMPv6 type. */
const ETHERTYPE_OFFSET = 12;
const IPV6_NEXT_HEADER_OFFSET = 14 + 6;
const ICMPV6_TYPE_OFFSET = 14 + 40;
const IPPROTO_ICMPV6 = 58;
/** Router Solicitation .. Redirect: neighbour discovery (RFC 4861). */
export const ND_TYPES = { first: 133, last: 137 } as const;

/** A packet is dropped when the program's random u32 is below this: percent of 2^32, at least 1. */
export function dropThreshold(percent: number): number {
  if (!(percent > 0 && percent < 100)) throw new RangeError(`a partial drop takes a percentage above 0 and below 100, got ${percent}`);
  return Math.min(0xffffffff, Math.max(1, Math.round((percent / 100) * 2 ** 32)));
}

/** The program that drops `percent` % (0 < percent <= 100) of IPv6 and IPv4 frames, except neighbour discovery, and passes everything else. */
export function dataDropProgram(percent: number): CbpfInsn[] {
  if (!(percent > 0 && percent <= 100)) throw new RangeError(`drop percentage must be above 0 and at most 100, got ${percent}`);
  const insn = (code: number, k: number, jt = 0, jf = 0): CbpfInsn => ({ code, jt, jf, k });
  // Jump offsets count from the next instruction; PASS is 8, DATA is 9.
  const head = [
    insn(BPF_LD_H_ABS, ETHERTYPE_OFFSET), // 0
    insn(BPF_JEQ_K, ETH_P_IPV6, 1, 0), // 1: IPv6 to 3
    insn(BPF_JEQ_K, ETH_P_IP, 6, 5), // 2: IPv4 to DATA, else PASS
    insn(BPF_LD_B_ABS, IPV6_NEXT_HEADER_OFFSET), // 3
    insn(BPF_JEQ_K, IPPROTO_ICMPV6, 0, 4), // 4: not ICMPv6: DATA
    insn(BPF_LD_B_ABS, ICMPV6_TYPE_OFFSET), // 5
    insn(BPF_JGE_K, ND_TYPES.first, 0, 2), // 6: below ND: DATA
    insn(BPF_JGT_K, ND_TYPES.last, 1, 0), // 7: above ND: DATA, else PASS
    insn(BPF_RET_K, TC_ACT_OK), // 8: PASS
  ];
  if (percent === 100) return [...head, insn(BPF_RET_K, TC_ACT_SHOT)]; // 9: DATA
  return [
    ...head,
    insn(BPF_LD_W_ABS, SKF_AD_RANDOM_OFFSET), // 9: DATA
    insn(BPF_JGE_K, dropThreshold(percent), 1, 0), // 10: at or above the threshold: keep (12)
    insn(BPF_RET_K, TC_ACT_SHOT), // 11
    insn(BPF_RET_K, TC_ACT_OK), // 12
  ];
}

/** The program in tc's `bytecode` syntax: "N,code jt jf k,...". */
export function tcBytecode(program: CbpfInsn[]): string {
  return [String(program.length), ...program.map((i) => `${i.code} ${i.jt} ${i.jf} ${i.k >>> 0}`)].join(",");
}
