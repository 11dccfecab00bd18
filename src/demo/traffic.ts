// Lab traffic: `send` paces UDP datagrams to a destination; `sink` counts what arrives.
// Run inside a namespace (and an app's cgroup) with `cairn lab exec`.
import { createSocket } from "node:dgram";

export interface SendOptions {
  to: string;
  port: number;
  count: number;
  /** Datagrams per second. */
  rate: number;
  size: number;
}

export async function sendUdp(o: SendOptions): Promise<number> {
  const sock = createSocket("udp6");
  const payload = Buffer.alloc(o.size, 0x63);
  const gapMs = 1000 / o.rate;
  const start = Date.now();
  let sent = 0;
  try {
    while (sent < o.count) {
      await new Promise<void>((resolve, reject) => sock.send(payload, o.port, o.to, (err) => (err ? reject(err) : resolve())));
      sent++;
      const ahead = start + sent * gapMs - Date.now();
      if (ahead > 1) await new Promise((r) => setTimeout(r, ahead));
    }
  } finally {
    sock.close();
  }
  return sent;
}

/**
 * Counts datagrams on `port` until `idleMs` pass without one (after the first) or `timeoutMs` overall.
 * `onListening` fires once the socket is bound, so a sender can start.
 */
export async function sinkUdp(port: number, idleMs: number, timeoutMs: number, onListening: () => void = () => {}): Promise<number> {
  const sock = createSocket({ type: "udp6", ipv6Only: true });
  let received = 0;
  await new Promise<void>((resolve, reject) => {
    sock.once("error", reject);
    sock.bind(port, "::", () => resolve());
  });
  onListening();
  return new Promise((resolve) => {
    let idle: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(idle);
      clearTimeout(overall);
      sock.close();
      resolve(received);
    };
    const overall = setTimeout(done, timeoutMs);
    sock.on("message", () => {
      received++;
      clearTimeout(idle);
      idle = setTimeout(done, idleMs);
    });
  });
}
