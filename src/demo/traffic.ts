// Lab traffic: `sendUdp` paces sequenced UDP datagrams to a destination; `runSink` receives them and
// accounts for every one (seq-account.ts). Run them inside a namespace (and an app's cgroup) with
// `cairn lab exec`, or through lab-streams.ts.
import { randomInt } from "node:crypto";
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { isIPv4 } from "node:net";
import { performance } from "node:perf_hooks";
import { createSequenceAccount } from "./seq-account.js";
import { SEQ_HEADER_BYTES, decodeSeqHeader, encodeSeqHeader } from "./seq-header.js";
import { sinkReport, type SinkReport, type SinkStopReason } from "./sink-report.js";

/** Wall-clock microseconds, advancing monotonically within the process (sender and sink compare them). */
export const wallClockUs = (): number => (performance.timeOrigin + performance.now()) * 1000;

export interface SendOptions {
  /** An IPv6 or IPv4 address. */
  to: string;
  port: number;
  count: number;
  /** Datagrams per second. */
  rate: number;
  /** UDP payload bytes, at least SEQ_HEADER_BYTES. */
  size: number;
  /** Random unless given. */
  streamId?: number;
  /** Stops the stream early; its last datagram then tells the sink the real total. */
  signal?: AbortSignal;
}

export interface SendReport {
  sent: number;
  streamId: number;
  to: string;
  port: number;
  count: number;
  rate: number;
  size: number;
  durationMs: number;
  stoppedEarly: boolean;
}

/** Throws with the option's name when a send option is out of range. */
export function checkSendOptions(o: SendOptions): void {
  const whole = (n: number, min: number, max: number) => Number.isInteger(n) && n >= min && n <= max;
  if (!whole(o.port, 1, 65535)) throw new RangeError(`--port: ${o.port} is not a port (1 to 65535)`);
  if (!whole(o.count, 1, 0xfffffffe)) throw new RangeError(`--count: ${o.count} is not a whole number from 1`);
  if (!(o.rate > 0 && o.rate <= 1e6)) throw new RangeError(`--rate: ${o.rate} is not a rate from above 0 to 1000000 datagrams per second`);
  if (!whole(o.size, SEQ_HEADER_BYTES, 65507)) throw new RangeError(`--size: ${o.size} bytes is outside ${SEQ_HEADER_BYTES} (the sequence header) to 65507`);
  if (o.streamId !== undefined && !whole(o.streamId, 0, 0xffffffff)) throw new RangeError(`--stream-id: ${o.streamId} is not a u32`);
}

/**
 * Sends `count` datagrams at `rate` per second, each starting with the sequence header. Pacing is
 * against the start time, so a sender that was held up (e.g. stopped) catches up in a burst.
 */
export async function sendUdp(o: SendOptions): Promise<SendReport> {
  checkSendOptions(o);
  const sock = createSocket(isIPv4(o.to) ? "udp4" : "udp6");
  const streamId = o.streamId ?? randomInt(0, 0xffffffff);
  const intervalUs = 1e6 / o.rate;
  const payload = Buffer.alloc(o.size, 0x63);
  const send = (seq: number, total: number) => {
    encodeSeqHeader({ streamId, seq, total, intervalUs, sendTimeUs: wallClockUs() }, payload);
    return new Promise<void>((resolve, reject) => sock.send(payload, o.port, o.to, (err) => (err ? reject(err) : resolve())));
  };
  const start = performance.now();
  let sent = 0;
  let stoppedEarly = false;
  try {
    while (sent < o.count) {
      if (o.signal?.aborted) {
        await send(sent, sent + 1);
        sent++;
        stoppedEarly = true;
        break;
      }
      await send(sent, o.count);
      sent++;
      const aheadMs = start + (sent * intervalUs) / 1000 - performance.now();
      if (aheadMs > 1) await new Promise((r) => setTimeout(r, aheadMs));
    }
  } finally {
    sock.close();
  }
  return { sent, streamId, to: o.to, port: o.port, count: o.count, rate: o.rate, size: o.size, durationMs: Math.round(performance.now() - start), stoppedEarly };
}

/** When the sink stops listening (besides its timeout and its signal). */
export type SinkUntil =
  /** The old behaviour: this long without a datagram, after the first. */
  | { kind: "idle"; idleMs: number }
  /** Exactly this long. */
  | { kind: "duration"; durationMs: number }
  /** When every stream's last datagram has arrived or was due, plus a grace period. */
  | { kind: "last-datagram"; graceMs: number };

export interface SinkOptions {
  port: number;
  until: SinkUntil;
  /** Stop after this long in any case. */
  timeoutMs: number;
  /** Called once both sockets (IPv6 and IPv4) are bound, so a sender can start. */
  onListening?: () => void;
  signal?: AbortSignal;
}

async function bound(sock: Socket, port: number, address: string): Promise<Socket> {
  await new Promise<void>((resolve, reject) => {
    sock.once("error", reject);
    sock.bind(port, address, () => resolve());
  });
  return sock;
}

/** How often the sink checks whether to stop. */
const CHECK_EVERY_MS = 10;
/** Room for bursts while the event loop is busy; the kernel caps it at net.core.rmem_max. */
const RECEIVE_BUFFER_BYTES = 4 << 20;

/** Receives UDP on `port` (IPv6 and IPv4), accounts for every datagram, and reports when it stops. */
export async function runSink(o: SinkOptions): Promise<SinkReport> {
  const socks = [
    await bound(createSocket({ type: "udp6", ipv6Only: true, recvBufferSize: RECEIVE_BUFFER_BYTES }), o.port, "::"),
    await bound(createSocket({ type: "udp4", recvBufferSize: RECEIVE_BUFFER_BYTES }), o.port, "0.0.0.0"),
  ];
  const account = createSequenceAccount();
  const startUs = wallClockUs();
  let received = 0;
  let unsequenced = 0;
  let lastArrivalUs = 0;
  const onMessage = (msg: Buffer, from: RemoteInfo) => {
    const atUs = wallClockUs();
    received++;
    lastArrivalUs = atUs;
    const h = decodeSeqHeader(msg);
    if (h) account.arrive(h, atUs, from.family === "IPv6" ? `[${from.address}]:${from.port}` : `${from.address}:${from.port}`);
    else unsequenced++;
  };
  for (const s of socks) s.on("message", onMessage);
  o.onListening?.();

  const stopReason = (nowUs: number): SinkStopReason | null => {
    if (o.signal?.aborted) return "signal";
    const u = o.until;
    if (u.kind === "duration" && nowUs - startUs >= u.durationMs * 1000) return "duration";
    if (u.kind === "idle" && received > 0 && nowUs - lastArrivalUs >= u.idleMs * 1000) return "idle";
    if (u.kind === "last-datagram") {
      const end = account.endOfStreamsUs();
      if (end !== null && nowUs >= end + u.graceMs * 1000) return "last-datagram";
    }
    if (nowUs - startUs >= o.timeoutMs * 1000) return "timeout";
    return null;
  };
  const stoppedBy = await new Promise<SinkStopReason>((resolve) => {
    const check = () => {
      const reason = stopReason(wallClockUs());
      if (reason === null) return;
      clearInterval(timer);
      o.signal?.removeEventListener("abort", check);
      resolve(reason);
    };
    const timer = setInterval(check, CHECK_EVERY_MS);
    o.signal?.addEventListener("abort", check);
  });
  const endUs = wallClockUs();
  for (const s of socks) s.close();
  return sinkReport({ port: o.port, listenedMs: Math.round((endUs - startUs) / 1000), stoppedBy, received, unsequenced }, account.report(endUs));
}
