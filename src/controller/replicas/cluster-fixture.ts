// Real controller replicas for tests: `cairn controller --etcd …` processes on free loopback ports with
// one credential directory, and agents made of the real agent's ControllerLink and rule store that
// report back what they applied (as the agent does), recording every update and move.
import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ControllerLink } from "../../agent/controller-link.js";
import { DesiredRules, type UpdateOutcome } from "../../agent/desired-rules.js";
import { realClock } from "../../agent/clock.js";
import { reportStatus } from "../../api/client.js";
import type { ClientCredentials } from "../../api/credentials.js";
import type { HostRule } from "../../core/assignments.js";
import { freePort } from "./etcd-fixture.js";

const CLI = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "cli", "main.js");

export interface ReplicaProcess {
  url: string;
  /** Every line of its stderr and stdout so far. */
  lines: string[];
  /** Resolves with the first line (now or later) matching `re`; rejects after `ms`. */
  waitLine(re: RegExp, ms: number): Promise<string>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  readonly exited: boolean;
}

export async function startReplicaProcess(o: {
  etcdUrl: string;
  tlsDir: string;
  topologyFile: string;
  intentsFile: string;
  extraArgs?: string[];
}): Promise<ReplicaProcess> {
  const port = await freePort();
  const args = [CLI, "controller", "--topology", o.topologyFile, "--intents", o.intentsFile, "--tls-dir", o.tlsDir, "--listen", `[::1]:${port}`, "--etcd", o.etcdUrl, "--etcd-lease-ttl", "2", "--path-workers", "0", ...(o.extraArgs ?? [])];
  const proc: ChildProcess = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let buf = "";
  const onData = (b: Buffer) => {
    buf += b.toString();
    const parts = buf.split("\n");
    buf = parts.pop()!;
    for (const l of parts) {
      lines.push(l);
      if (process.env["CAIRN_TEST_LOG"]) process.stderr.write(`[replica :${port}] ${l}\n`);
    }
    for (const w of [...waiters]) w();
  };
  proc.stdout!.on("data", onData);
  proc.stderr!.on("data", onData);
  let exited = false;
  proc.once("exit", () => {
    exited = true;
    for (const w of [...waiters]) w();
  });
  const cleanup = () => proc.kill("SIGKILL");
  process.once("exit", cleanup);
  const waitLine = (re: RegExp, ms: number) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const hit = lines.find((l) => re.test(l));
        if (hit !== undefined) return done(() => resolve(hit));
        if (exited) done(() => reject(new Error(`replica :${port} exited before a line matching ${re}:\n${lines.slice(-20).join("\n")}`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`no line matching ${re} from replica :${port} within ${ms} ms:\n${lines.slice(-20).join("\n")}`))), ms);
      const done = (f: () => void) => {
        clearTimeout(timer);
        waiters.delete(check);
        f();
      };
      waiters.add(check);
      check();
    });
  const handle: ReplicaProcess = {
    url: `https://[::1]:${port}`,
    lines,
    waitLine,
    get exited() {
      return exited;
    },
    async kill(signal = "SIGKILL") {
      process.off("exit", cleanup);
      if (exited) return;
      const gone = new Promise((r) => proc.once("exit", r));
      proc.kill(signal);
      await gone;
    },
  };
  try {
    await waitLine(/^listening on /, 20_000);
  } catch (e) {
    await handle.kill();
    throw e;
  }
  return handle;
}

/** When a log line was written (its leading ISO time). */
export function lineTime(line: string): number {
  return Date.parse(line.slice(0, 24));
}

export interface TestAgentUpdate {
  at: number;
  outcome: UpdateOutcome;
  version: bigint;
  full: boolean;
  url: string;
}

/** An agent without a datapath: the real ControllerLink and DesiredRules, reporting each version it takes. */
export class TestAgent {
  readonly store: DesiredRules;
  readonly link: ControllerLink;
  readonly updates: TestAgentUpdate[] = [];
  readonly connects: { at: number; url: string }[] = [];
  readonly lines: string[] = [];
  /** The fewest rules the agent held at any time after its first snapshot: steering never stops while it is > 0. */
  minRules = Infinity;

  constructor(
    readonly host: string,
    urls: string[],
    credentials: ClientCredentials,
  ) {
    this.store = new DesiredRules(host);
    this.link = new ControllerLink({
      url: urls[0]!,
      urls,
      holds: () => this.store.holds(),
      credentials,
      host,
      agentVersion: "replica-test",
      backoff: { initialMs: 50, maxMs: 500 },
      keepalive: { intervalMs: 1_000, timeoutMs: 1_000 },
      clock: realClock,
      log: (l) => {
        this.lines.push(`${new Date().toISOString()} ${l}`);
        if (process.env["CAIRN_TEST_LOG"]) process.stderr.write(`[agent ${host}] ${l}\n`);
      },
      onUpdate: (u) => {
        const outcome = this.store.take(u);
        this.updates.push({ at: Date.now(), outcome, version: u.version, full: u.full, url: this.link.url });
        this.minRules = Math.min(this.minRules, this.store.rules().length);
        if (outcome !== "stale") void this.report();
      },
      onState: (s) => {
        if (s === "connected") this.connects.push({ at: Date.now(), url: this.link.url });
      },
    });
  }

  get version(): bigint {
    return this.store.version;
  }

  rules(): HostRule[] {
    return this.store.rules();
  }

  private async report(): Promise<void> {
    try {
      await reportStatus(
        this.link.client(),
        {
          host: this.host,
          generation: this.store.generation ?? "",
          appliedVersion: Number(this.store.version),
          reportedAt: new Date().toISOString(),
          rules: this.store.rules().map((r) => ({ key: r.key, state: "installed", reason: "", prefixes: [], active: "primary", steeredPackets: 0, steeredBytes: 0, unsteeredPackets: 0, droppedPackets: 0 })),
          datapathDrops: {},
          paths: [],
        },
        { timeoutMs: 5_000 },
      );
    } catch {
      // the link moves on; the next version reports again
    }
  }

  stop(): Promise<void> {
    return this.link.stop();
  }
}
