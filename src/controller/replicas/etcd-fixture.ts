// A real etcd for tests (Debian's etcd-server, /usr/bin/etcd): its own data directory and free loopback
// ports (never 2379/2380), stopped and removed afterwards, also when the test fails.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const ETCD_BIN = process.env["CAIRN_ETCD_BIN"] ?? "/usr/bin/etcd";

/** Why etcd tests cannot run here, or null. */
export function etcdMissing(): string | null {
  return existsSync(ETCD_BIN) ? null : `no etcd at ${ETCD_BIN} (Debian package etcd-server; scripts/setup.sh installs it)`;
}

/** A port nobody listens on now (the kernel's pick). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen({ host: "127.0.0.1", port: 0 }, () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface EtcdFixture {
  /** The client URL, http://127.0.0.1:PORT. */
  url: string;
  /** Stops it (SIGKILL when `hard`), keeping its data. */
  stop(hard?: boolean): Promise<void>;
  /** Starts it again on the same ports and data. */
  start(): Promise<void>;
  /** Stops it and removes its data. */
  close(): Promise<void>;
  /** Its output so far (for failure messages). */
  output(): string;
}

async function healthy(url: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < until) {
    try {
      const r = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) });
      const body = (await r.json()) as { health?: string };
      if (body.health === "true") return;
      last = JSON.stringify(body);
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`etcd at ${url} not healthy within ${timeoutMs} ms: ${last}`);
}

export async function startEtcd(): Promise<EtcdFixture> {
  const dir = await mkdtemp(join(tmpdir(), "cairn-etcd-"));
  const [client, peer] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  let proc: ChildProcess | null = null;
  let out = "";
  const args = [
    "--name", "cairn-test",
    "--data-dir", join(dir, "data"),
    "--listen-client-urls", url,
    "--advertise-client-urls", url,
    "--listen-peer-urls", peerUrl,
    "--initial-advertise-peer-urls", peerUrl,
    "--initial-cluster", `cairn-test=${peerUrl}`,
    "--initial-cluster-state", "new",
    "--log-level", "error",
  ];
  const start = async () => {
    const p = spawn(ETCD_BIN, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ETCD_UNSUPPORTED_ARCH: process.arch === "x64" ? "" : process.arch } });
    p.stdout!.on("data", (b: Buffer) => (out = (out + b.toString()).slice(-20_000)));
    p.stderr!.on("data", (b: Buffer) => (out = (out + b.toString()).slice(-20_000)));
    proc = p;
    const exited = new Promise<never>((_, reject) => p.once("exit", (code) => reject(new Error(`etcd exited (${code}): ${out.slice(-2000)}`))));
    await Promise.race([healthy(url, 15_000), exited]);
    exited.catch(() => {});
  };
  const stop = async (hard = false) => {
    const p = proc;
    proc = null;
    if (!p || p.exitCode !== null) return;
    const gone = new Promise((r) => p.once("exit", r));
    p.kill(hard ? "SIGKILL" : "SIGTERM");
    await gone;
  };
  const cleanup = () => proc?.kill("SIGKILL");
  process.once("exit", cleanup);
  try {
    await start();
  } catch (e) {
    await stop(true);
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    url,
    stop,
    start,
    async close() {
      process.off("exit", cleanup);
      await stop(true);
      await rm(dir, { recursive: true, force: true });
    },
    output: () => out,
  };
}
