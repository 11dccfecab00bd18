// The agent's --metrics-listen: plain HTTP serving GET /metrics (Prometheus text format) and nothing
// else. No TLS and no authentication: bind it to an address only the scraper reaches (loopback, a
// management network).
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { formatListenAddress, type ListenAddress } from "../config/listen-address.js";

export interface MetricsServer {
  /** e.g. "http://[::1]:9464/metrics". */
  url: string;
  close(): Promise<void>;
}

function send(res: http.ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", ...headers });
  res.end(`${text}\n`);
}

/** Listens on `addr`; rejects with the system's reason (EADDRINUSE, EADDRNOTAVAIL, EACCES) when it cannot. */
export async function startMetricsServer(addr: ListenAddress, registry: Registry): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== "/metrics") return send(res, 404, `not found: this agent serves /metrics only`);
    if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "/metrics: use GET", { allow: "GET, HEAD" });
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { "content-type": registry.contentType, "cache-control": "no-store" });
        if (req.method === "HEAD") res.end();
        else res.end(text);
      },
      (e: unknown) => send(res, 500, `cannot collect the metrics: ${e instanceof Error ? e.message : String(e)}`),
    );
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
