// Sequenced streams between lab nodes, for tests and benchmarks: `cairn lab sink` and `cairn lab
// traffic` run in a node's namespace (Node cannot enter one itself), driven from here. Many streams
// can run at once; each sender can be paused and resumed (SIGSTOP / SIGCONT) or stopped early.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { labExecArgv, type LabExecTarget } from "../lab/exec.js";
import type { SinkReport } from "./sink-report.js";
import type { SendReport } from "./traffic.js";

const CLI = fileURLToPath(new URL("../cli/main.js", import.meta.url));

export interface LabSinkOptions {
  node: string;
  port: number;
  /** Listen exactly this long; else until every stream ended plus `graceMs` (default 1000), or `idleMs` of silence. */
  durationMs?: number;
  graceMs?: number;
  idleMs?: number;
  /** Stop after this long in any case (default 60 s). */
  timeoutMs?: number;
}

export interface LabSink {
  pid: number;
  /** The sink's report, once it has stopped. */
  report: Promise<SinkReport>;
  /** Stops listening now; `report` then resolves with what arrived. */
  stop(): void;
}

/** What a child printed on stdout, and its exit, as a promise of its JSON report. */
function jsonReport<T>(child: ChildProcess, what: string, stderr: () => string): Promise<T> {
  let out = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
  return new Promise<T>((resolve, reject) => {
    child.on("error", (err) => reject(new Error(`${what} failed to start: ${err.message}`)));
    child.on("close", (code, signal) => {
      try {
        if (code === 0) return resolve(JSON.parse(out) as T);
      } catch {
        /* reported below */
      }
      reject(new Error(`${what} failed (${signal ?? `exit ${code}`}): ${stderr().trim() || out.trim()}`));
    });
  });
}

/** Starts `cairn lab sink --json` in a node; resolves once it listens. */
export async function startLabSink(o: LabSinkOptions): Promise<LabSink> {
  const args = ["lab", "sink", "--json", "--port", String(o.port)];
  if (o.durationMs !== undefined) args.push("--duration-ms", String(o.durationMs));
  if (o.idleMs !== undefined) args.push("--idle-ms", String(o.idleMs));
  if (o.graceMs !== undefined) args.push("--grace-ms", String(o.graceMs));
  if (o.timeoutMs !== undefined) args.push("--timeout-ms", String(o.timeoutMs));
  const argv = labExecArgv(o.node, { command: [process.execPath, CLI, ...args] });
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  const what = `the sink on ${o.node} port ${o.port}`;
  const report = jsonReport<SinkReport>(child, what, () => stderr);
  report.catch(() => undefined); // the caller sees the failure through `listening` or `report`
  await new Promise<void>((resolve, reject) => {
    child.stderr!.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
      if (stderr.includes("listening on port")) resolve();
    });
    report.then(() => reject(new Error(`${what} stopped before listening`)), reject);
  });
  return { pid: child.pid!, report, stop: () => void child.kill("SIGTERM") };
}

export interface LabTrafficOptions extends Omit<LabExecTarget, "command"> {
  node: string;
  to: string;
  port: number;
  count: number;
  /** Datagrams per second (default 2000) and payload bytes (default 200, at least 32). */
  rate?: number;
  size?: number;
  streamId?: number;
}

export interface LabTraffic {
  pid: number;
  done: Promise<SendReport>;
  /** SIGSTOP: the sender sends nothing until resumed, then catches up with its schedule in a burst. */
  pause(): void;
  resume(): void;
  /** Ends the stream early; its last datagram tells the sink the real total. */
  stop(): void;
}

/** Starts `cairn lab traffic --json` in a node (as an app, a cgroup or a user when given). */
export function startLabTraffic(o: LabTrafficOptions): LabTraffic {
  const args = ["lab", "traffic", "--json", "--to", o.to, "--port", String(o.port), "--count", String(o.count)];
  if (o.rate !== undefined) args.push("--rate", String(o.rate));
  if (o.size !== undefined) args.push("--size", String(o.size));
  if (o.streamId !== undefined) args.push("--stream-id", String(o.streamId));
  const { node, app, cgroup, user } = o;
  const argv = labExecArgv(node, { command: [process.execPath, CLI, ...args], ...(app ? { app } : {}), ...(cgroup ? { cgroup } : {}), ...(user !== undefined ? { user } : {}) });
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const done = jsonReport<SendReport>(child, `the sender on ${node} to ${o.to} port ${o.port}`, () => stderr);
  const signal = (...sigs: NodeJS.Signals[]) => () => sigs.forEach((sig) => child.kill(sig));
  // A paused sender gets SIGTERM only once it runs again.
  return { pid: child.pid!, done, pause: signal("SIGSTOP"), resume: signal("SIGCONT"), stop: signal("SIGTERM", "SIGCONT") };
}

/** Sends a stream from a node and resolves with the sender's report. */
export function runLabTraffic(o: LabTrafficOptions): Promise<SendReport> {
  return startLabTraffic(o).done;
}
