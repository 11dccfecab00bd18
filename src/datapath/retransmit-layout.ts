// Byte layouts of the TCP retransmission ring declared in retransmits.h (the passive signal's
// eBPF program, retransmits.bpf.c). retransmit-layout.spec.ts checks every size and offset here
// against the BTF of the compiled object and the constants against the header's #defines.
import { endianness } from "node:os";

export const CAIRN_RETX_SLOTS = 256;

export const RETX_LAYOUT = {
  cairn_retx_event: { size: 56, members: { seq: 0, ns: 8, family: 16, sport: 18, dport: 20, state: 22, saddr: 24, daddr: 40 } },
  cairn_retx_config: { size: 8, members: { netns: 0, pad: 4 } },
} as const;

/** Maps of retransmits.bpf.o: key and value sizes, and max_entries. */
export const RETX_MAPS = {
  cairn_retx_ring: { keySize: 4, valueSize: RETX_LAYOUT.cairn_retx_event.size, maxEntries: CAIRN_RETX_SLOTS },
  cairn_retx_head: { keySize: 4, valueSize: 8, maxEntries: 1 },
  cairn_retx_config: { keySize: 4, valueSize: RETX_LAYOUT.cairn_retx_config.size, maxEntries: 1 },
} as const;
export type RetxMapName = keyof typeof RETX_MAPS;

/** The program's name in the object (its SEC is raw_tracepoint/tcp_retransmit_skb). */
export const RETX_PROGRAM = "cairn_retransmit";

export const AF_INET = 2;
export const AF_INET6 = 10;

/** One retransmitted segment, as the ring holds it. */
export interface RetransmitEvent {
  seq: bigint;
  /** CLOCK_MONOTONIC ns of the retransmission (process.hrtime.bigint()'s clock). */
  ns: bigint;
  /** The socket's family (an IPv6 socket may talk IPv4, with IPv4-mapped addresses). */
  family: number;
  /** Host byte order. */
  sport: number;
  dport: number;
  /** TCP state of the socket (1 established, 2 syn-sent, ...). */
  state: number;
  /** 16 bytes each, network byte order; IPv4 IPv4-mapped. */
  saddr: Uint8Array;
  daddr: Uint8Array;
}

const LE = endianness() === "LE";

function view(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

export function decodeRetxEvent(buf: Uint8Array): RetransmitEvent {
  const m = RETX_LAYOUT.cairn_retx_event.members;
  const v = view(buf);
  return {
    seq: v.getBigUint64(m.seq, LE),
    ns: v.getBigUint64(m.ns, LE),
    family: v.getUint16(m.family, LE),
    sport: v.getUint16(m.sport, LE),
    dport: v.getUint16(m.dport, LE),
    state: v.getUint16(m.state, LE),
    saddr: buf.slice(m.saddr, m.saddr + 16),
    daddr: buf.slice(m.daddr, m.daddr + 16),
  };
}

/** For tests (a fake ring): the bytes the program writes for an event. */
export function encodeRetxEvent(e: RetransmitEvent): Uint8Array {
  const m = RETX_LAYOUT.cairn_retx_event.members;
  const buf = new Uint8Array(RETX_LAYOUT.cairn_retx_event.size);
  const v = view(buf);
  v.setBigUint64(m.seq, e.seq, LE);
  v.setBigUint64(m.ns, e.ns, LE);
  v.setUint16(m.family, e.family, LE);
  v.setUint16(m.sport, e.sport, LE);
  v.setUint16(m.dport, e.dport, LE);
  v.setUint16(m.state, e.state, LE);
  buf.set(e.saddr.subarray(0, 16), m.saddr);
  buf.set(e.daddr.subarray(0, 16), m.daddr);
  return buf;
}

export function encodeRetxConfig(c: { netns: number }): Uint8Array {
  const buf = new Uint8Array(RETX_LAYOUT.cairn_retx_config.size);
  view(buf).setUint32(RETX_LAYOUT.cairn_retx_config.members.netns, c.netns >>> 0, LE);
  return buf;
}

export function decodeU64(buf: Uint8Array): bigint {
  return view(buf).getBigUint64(0, LE);
}

/**
 * Reads a ring of CAIRN_RETX_SLOTS slots the program appends to (retransmits.h): from the
 * first seq not yet read up to the head. Pure over the two reads, so tests drive it with a fake.
 */
export class RetxRingReader {
  /** The next seq to read. */
  private next = 1n;
  /** A slot found mid-write on the last read: on this one it is given up (the program never leaves one so for long). */
  private pending: bigint | null = null;

  constructor(
    private readonly readHead: () => bigint,
    private readonly readSlot: (slot: number) => Uint8Array,
    private readonly slots = CAIRN_RETX_SLOTS,
  ) {}

  /** Forgets everything appended so far (old events are no signal). */
  skip(): void {
    this.next = this.readHead() + 1n;
    this.pending = null;
  }

  /** Events appended since the last read, oldest first, and how many were overwritten unread. */
  read(): { events: RetransmitEvent[]; lost: number } {
    const head = this.readHead();
    const events: RetransmitEvent[] = [];
    let lost = 0;
    const n = BigInt(this.slots);
    if (head - this.next + 1n > n) {
      // Lapped: the oldest unread slots hold newer events now.
      lost += Number(head - n + 1n - this.next);
      this.next = head - n + 1n;
    }
    while (this.next <= head) {
      const e = decodeRetxEvent(this.readSlot(Number((this.next - 1n) % n)));
      if (e.seq < this.next && this.pending !== this.next) {
        this.pending = this.next; // still being written: read it next time
        break;
      }
      if (e.seq === this.next) events.push(e);
      else lost++; // overwritten while we read
      this.next++;
    }
    if (this.pending !== null && this.pending < this.next) this.pending = null;
    return { events, lost };
  }
}
