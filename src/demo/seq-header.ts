// The header at the start of every `cairn lab traffic` datagram, from which a sink counts losses,
// duplicates, reordering and gaps. Big-endian. Pure.
//
//   0  magic "CRN1"
//   4  stream id: random per sender, so one sink can tell several streams apart
//   8  sequence number, from 0
//  12  total: datagrams in the stream (0: open-ended); a sender stopped early sends one last
//      datagram whose total is its sequence number + 1
//  16  the sender's gap between datagrams, in microseconds (0: unknown)
//  20  reserved, 0
//  24  send time: microseconds since the Unix epoch (u64)

export const SEQ_MAGIC = 0x43524e31;
export const SEQ_HEADER_BYTES = 32;

export interface SeqHeader {
  streamId: number;
  seq: number;
  total: number;
  intervalUs: number;
  sendTimeUs: number;
}

const u32 = (n: number, what: string) => {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`${what} ${n} is not a u32`);
  return n;
};

/** Writes the header into the first SEQ_HEADER_BYTES of `buf`. */
export function encodeSeqHeader(h: SeqHeader, buf: Buffer): void {
  if (buf.length < SEQ_HEADER_BYTES) throw new RangeError(`a sequenced datagram needs at least ${SEQ_HEADER_BYTES} bytes, got ${buf.length}`);
  buf.writeUInt32BE(SEQ_MAGIC, 0);
  buf.writeUInt32BE(u32(h.streamId, "stream id"), 4);
  buf.writeUInt32BE(u32(h.seq, "sequence number"), 8);
  buf.writeUInt32BE(u32(h.total, "total"), 12);
  buf.writeUInt32BE(u32(Math.min(Math.round(h.intervalUs), 0xffffffff), "interval"), 16);
  buf.writeUInt32BE(0, 20);
  buf.writeBigUInt64BE(BigInt(Math.max(0, Math.round(h.sendTimeUs))), 24);
}

/** The header of a datagram, or null when it has none (too short, or not starting with the magic). */
export function decodeSeqHeader(buf: Buffer): SeqHeader | null {
  if (buf.length < SEQ_HEADER_BYTES || buf.readUInt32BE(0) !== SEQ_MAGIC) return null;
  return {
    streamId: buf.readUInt32BE(4),
    seq: buf.readUInt32BE(8),
    total: buf.readUInt32BE(12),
    intervalUs: buf.readUInt32BE(16),
    sendTimeUs: Number(buf.readBigUInt64BE(24)),
  };
}
