// The agent's probe socket: UDP on the probe port, both ways. Probes leave addressed to their
// path's first SID (off-host, so they meet the datapath, which adds the loopback SRH) and come
// back to this socket once they have run the path out and back.
import { createSocket } from "node:dgram";
import type { ProbeTransport } from "./prober.js";

export async function openProbeSocket(port: number): Promise<ProbeTransport> {
  const sock = createSocket({ type: "udp6", ipv6Only: true });
  await new Promise<void>((resolve, reject) => {
    sock.once("error", (err: NodeJS.ErrnoException) =>
      reject(new Error(err.code === "EADDRINUSE" ? `probe port ${port} is in use (another agent on this host?)` : `cannot open the probe socket on port ${port}: ${err.message}`)),
    );
    sock.bind(port, "::", () => resolve());
  });
  sock.on("error", () => {}); // a send error is a lost probe: the path's state tells
  return {
    send: (to, payload) => sock.send(payload, port, to),
    onMessage: (handler) => sock.on("message", (m) => handler(new Uint8Array(m.buffer, m.byteOffset, m.byteLength))),
    close: () => sock.close(),
  };
}
