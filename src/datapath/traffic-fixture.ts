// Test fixture for sending and receiving traffic inside a network namespace.
//   udp-recv {"port","count","timeoutMs"}   prints "ready", then {"received":n}
//   udp-send {"host","port","count","size","intervalMs"?} prints {"sent":n} (datagrams carry their sequence number)
//   udp-recv also reports the sizes it saw and which sequence numbers are missing
//   tcp-recv {"port","timeoutMs"}           prints "ready", then {"bytes":n} once the peer closes
//   tcp-send {"host","port","bytes"}        prints {"sent":n}
import { createSocket } from "node:dgram";
import { createConnection, createServer } from "node:net";

interface Args {
  intervalMs?: number;
  host?: string;
  port: number;
  count?: number;
  size?: number;
  bytes?: number;
  timeoutMs?: number;
}

const [command, json] = process.argv.slice(2);
const args = JSON.parse(json ?? "{}") as Args;
const done = (result: object) => {
  console.log(JSON.stringify(result));
  process.exit(0);
};
const timeout = (result: () => object) => setTimeout(() => done(result()), args.timeoutMs ?? 10_000).unref();

switch (command) {
  case "udp-recv": {
    let received = 0;
    const sizes = new Set<number>();
    const seen = new Set<number>();
    const report = () => ({ received, sizes: [...sizes].sort((a, b) => a - b), missing: Array.from({ length: args.count ?? 0 }, (_, i) => i).filter((i) => !seen.has(i)) });
    const sock = createSocket({ type: "udp6", ipv6Only: false });
    sock.on("message", (msg) => {
      sizes.add(msg.length);
      if (msg.length >= 4) seen.add(msg.readUInt32BE(0));
      if (++received === args.count) done(report());
    });
    sock.bind(args.port, "::", () => console.log("ready"));
    timeout(report);
    break;
  }
  case "udp-send": {
    const sock = createSocket(args.host?.includes(":") ? "udp6" : "udp4");
    let sent = 0;
    const next = () => {
      if (sent === (args.count ?? 1)) return sock.close(() => done({ sent }));
      const data = Buffer.alloc(args.size ?? 100, 0x61);
      if (data.length >= 4) data.writeUInt32BE(sent, 0);
      sock.send(data, args.port, args.host, (err) => {
        if (err) throw err;
        sent++;
        setTimeout(next, args.intervalMs ?? 5);
      });
    };
    next();
    break;
  }
  case "tcp-recv": {
    let bytes = 0;
    const server = createServer((conn) => {
      conn.on("data", (d: Buffer) => (bytes += d.length));
      conn.on("end", () => done({ bytes }));
    });
    server.listen({ port: args.port, host: "::", ipv6Only: false }, () => console.log("ready"));
    timeout(() => ({ bytes, timedOut: true }));
    break;
  }
  case "tcp-send": {
    const total = args.bytes ?? 1 << 20;
    const conn = createConnection({ host: args.host, port: args.port }, () => {
      const chunk = Buffer.alloc(64 * 1024, 0x62);
      let sent = 0;
      const write = () => {
        while (sent < total) {
          const n = Math.min(chunk.length, total - sent);
          sent += n;
          if (!conn.write(chunk.subarray(0, n))) return void conn.once("drain", write);
        }
        conn.end(() => done({ sent }));
      };
      write();
    });
    conn.on("error", (err) => {
      console.error(err.message);
      process.exit(1);
    });
    break;
  }
  default:
    console.error(`unknown command ${String(command)}`);
    process.exit(2);
}
