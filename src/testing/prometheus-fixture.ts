// A real Prometheus for tests (Debian's prometheus, /usr/bin/prometheus): scrapes what the test names
// every second, from its own data directory and a free loopback port, stopped and removed afterwards,
// also when the test fails. And promtool's lint of a scrape (Prometheus' naming conventions).
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../controller/replicas/etcd-fixture.js";

export const PROMETHEUS_BIN = "/usr/bin/prometheus";
export const PROMTOOL_BIN = "/usr/bin/promtool";

/** Why Prometheus tests cannot run here, or null. */
export function prometheusMissing(): string | null {
  return existsSync(PROMETHEUS_BIN) && existsSync(PROMTOOL_BIN) ? null : `no ${PROMETHEUS_BIN} or ${PROMTOOL_BIN} (Debian package prometheus; scripts/setup.sh installs it)`;
}

/** One scrape job: its targets ("host:port"), scheme, and the TLS and bearer token to scrape with. */
export interface ScrapeJob {
  name: string;
  targets: string[];
  scheme?: "http" | "https";
  /** PEM of the CA to verify the target with. */
  ca?: string;
  /** The server name the target's certificate must have. */
  serverName?: string;
  token?: string;
}

export interface PrometheusFixture {
  url: string;
  /** An instant query's result vector. */
  query(expr: string): Promise<Array<{ metric: Record<string, string>; value: number }>>;
  /** Each target's health ("up", "down", "unknown") and last error. */
  targets(): Promise<Array<{ job: string; instance: string; health: string; lastError: string }>>;
  output(): string;
  close(): Promise<void>;
}

async function api<T>(url: string): Promise<T> {
  const r = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  const body = (await r.json()) as { status: string; data: T; error?: string };
  if (body.status !== "success") throw new Error(`prometheus: ${body.error ?? r.status}`);
  return body.data;
}

export async function startPrometheus(jobs: ScrapeJob[]): Promise<PrometheusFixture> {
  const dir = await mkdtemp(join(tmpdir(), "cairn-prometheus-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const files: Array<Promise<void>> = [];
  const config = {
    global: { scrape_interval: "1s", scrape_timeout: "1s" },
    scrape_configs: jobs.map((j) => {
      const tls: Record<string, string> = {};
      if (j.ca) {
        const caFile = join(dir, `${j.name}-ca.crt`);
        files.push(writeFile(caFile, j.ca));
        tls["ca_file"] = caFile;
      }
      if (j.serverName) tls["server_name"] = j.serverName;
      return {
        job_name: j.name,
        scheme: j.scheme ?? "http",
        static_configs: [{ targets: j.targets }],
        ...(Object.keys(tls).length ? { tls_config: tls } : {}),
        ...(j.token ? { authorization: { type: "Bearer", credentials: j.token } } : {}),
      };
    }),
  };
  // YAML is a superset of JSON.
  files.push(writeFile(join(dir, "prometheus.yml"), JSON.stringify(config, null, 2)));
  await Promise.all(files);
  let out = "";
  const proc: ChildProcess = spawn(
    PROMETHEUS_BIN,
    [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  proc.stdout!.on("data", (b: Buffer) => (out = (out + b.toString()).slice(-20_000)));
  proc.stderr!.on("data", (b: Buffer) => (out = (out + b.toString()).slice(-20_000)));
  const kill = () => proc.kill("SIGKILL");
  process.once("exit", kill);
  const close = async () => {
    process.off("exit", kill);
    if (proc.exitCode === null && proc.signalCode === null) {
      const gone = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGKILL");
      await gone;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const until = Date.now() + 15_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`prometheus exited (${proc.exitCode}): ${out.slice(-2000)}`);
      const ready = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.ok, () => false);
      if (ready) break;
      if (Date.now() > until) throw new Error(`prometheus not ready within 15 s: ${out.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (e) {
    await close();
    throw e;
  }
  return {
    url,
    async query(expr) {
      const data = await api<{ result: Array<{ metric: Record<string, string>; value: [number, string] }> }>(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      return data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
    async targets() {
      const data = await api<{ activeTargets: Array<{ labels: Record<string, string>; health: string; lastError: string }> }>(`${url}/api/v1/targets`);
      return data.activeTargets.map((t) => ({ job: t.labels["job"] ?? "", instance: t.labels["instance"] ?? "", health: t.health, lastError: t.lastError }));
    },
    output: () => out,
    close,
  };
}

/** promtool's lint of an exposition (names, units, help, types): its complaints, empty when none. */
export async function promtoolProblems(exposition: string): Promise<string> {
  const p = spawn(PROMTOOL_BIN, ["check", "metrics"], { stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  p.stdout!.on("data", (b: Buffer) => (out += b.toString()));
  p.stderr!.on("data", (b: Buffer) => (out += b.toString()));
  const done = new Promise<number | null>((r) => p.once("close", r));
  p.stdin!.end(exposition);
  await done;
  return out.trim();
}
