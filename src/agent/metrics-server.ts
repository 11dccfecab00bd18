// The agent's --metrics-listen: plain HTTP serving GET /metrics (Prometheus text format) and nothing
// else. No TLS and no authentication: bind it to an address only the scraper reaches (loopback, a
// management network).
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { formatListenAddress, type ListenAddress } from "../config/listen-address.js";
import { sendMetrics, sendText } from "../metrics/exposition.js";

export interface MetricsServer {
  /** e.g. "http://[::1]:9464/metrics". */
  url: string;
  close(): Promise<void>;
}


/** Listens on `addr`; rejects with the system's reason (EADDRINUSE, EADDRNOTAVAIL, EACCES) when it cannot. */
export async function startMetricsServer(addr: ListenAddress, registry: Registry): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== "/metrics") return sendText(res, 404, `not found: this agent serves /metrics only`);
    void sendMetrics(registry, "/metrics", req, res);
  });
  server.on("clientError", (_e, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: addr.host, port: addr.port }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  return {
    url: `http://${formatListenAddress({ host: addr.host, port: bound.port })}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
