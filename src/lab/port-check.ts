// Before the lab starts a daemon on a fixed address and port: is it free? If not, who holds it.
import { createServer } from "node:net";
import { run } from "./run.js";

/** Null when host:port can be bound (and is released again); else what holds it, for an error message. */
export async function tcpPortHolder(host: string, port: number): Promise<string | null> {
  const err = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
    const s = createServer();
    s.once("error", (e: NodeJS.ErrnoException) => resolve(e));
    s.listen({ host, port, exclusive: true }, () => s.close(() => resolve(null)));
  });
  if (err === null) return null;
  if (err.code !== "EADDRINUSE") return `cannot bind it: ${err.message}`;
  const ss = await run("ss", ["-Hltnp", `sport = :${port}`]).catch(() => ({ stdout: "" }));
  const users = [...ss.stdout.matchAll(/\("([^"]+)",pid=(\d+)/g)].map((m) => `${m[1]} (pid ${m[2]})`);
  return users.length ? `in use by ${[...new Set(users)].join(", ")}` : "in use by another process";
}
