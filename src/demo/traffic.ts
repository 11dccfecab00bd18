// Lab traffic: `send` paces UDP datagrams to a destination; `sink` counts what arrives.
// Run inside a namespace (and an app's cgroup) with `cairn lab exec`.
import { createSocket, type Socket } from "node:dgram";
import { isIPv4 } from "node:net";

export interface SendOptions {
  /** An IPv6 or IPv4 address. */
  to: string;
  port: number;
  count: number;
  /** Datagrams per second. */
  rate: number;
  size: number;
}

export async function sendUdp(o: SendOptions): Promise<number> {
  const sock = createSocket(isIPv4(o.to) ? "udp4" : "udp6");
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

async function bound(sock: Socket, port: number, address: string): Promise<Socket> {
  await new Promise<void>((resolve, reject) => {
    sock.once("error", reject);
    sock.bind(port, address, () => resolve());
  });
  return sock;
}

/**
 * Counts datagrams on `port` (IPv6 and IPv4) until `idleMs` pass without one (after the first) or
 * `timeoutMs` overall. `onListening` fires once both sockets are bound, so a sender can start.
 */
export async function sinkUdp(port: number, idleMs: number, timeoutMs: number, onListening: () => void = () => {}): Promise<number> {
  const socks = [await bound(createSocket({ type: "udp6", ipv6Only: true }), port, "::"), await bound(createSocket("udp4"), port, "0.0.0.0")];
  let received = 0;
  onListening();
  return new Promise((resolve) => {
    let idle: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(idle);
      clearTimeout(overall);
      for (const s of socks) s.close();
      resolve(received);
    };
    const overall = setTimeout(done, timeoutMs);
    for (const s of socks) {
      s.on("message", () => {
        received++;
        clearTimeout(idle);
        idle = setTimeout(done, idleMs);
      });
    }
  });
}
