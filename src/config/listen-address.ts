// "HOST:PORT" as the --listen options take it (the controller's listeners, the agent's metrics).

export interface ListenAddress {
  host: string;
  port: number;
}

/** "[::1]:50051", "127.0.0.1:50051", "localhost:50051", ":50051" (all addresses). */
export function parseListenAddress(text: string): ListenAddress {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) {
    throw new Error(`invalid listen address "${text}": expected HOST:PORT, e.g. [::1]:50051 or 0.0.0.0:50051`);
  }
  const host = m[1] ?? (m[2] || "::");
  return { host, port };
}

/** The address as a URL authority: "[::1]:9464", "127.0.0.1:9464". */
export function formatListenAddress(a: ListenAddress): string {
  return a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
