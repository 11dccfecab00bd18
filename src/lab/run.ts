// Runs external commands with argument arrays (never a shell string with data in it).
import { execFile, execFileSync, spawn } from "node:child_process";
import { promisify } from "node:util";

const execFileP = promisify(execFile);

export class CommandError extends Error {
  constructor(
    readonly command: string[],
    readonly exitCode: number | string | null,
    readonly stderr: string,
  ) {
    const detail = stderr.trim() || `exit code ${String(exitCode)}`;
    super(`command failed: ${command.join(" ")}: ${detail}`);
    this.name = "CommandError";
  }
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  timeoutMs?: number;
  /** Written to the command's stdin. */
  input?: string;
}

function toCommandError(cmd: string, args: string[], err: unknown): CommandError {
  const e = err as { code?: number | string; stderr?: string | Buffer; message?: string; signal?: string };
  const stderr = e.stderr ? String(e.stderr) : e.message ?? "";
  return new CommandError([cmd, ...args], e.code ?? e.signal ?? null, stderr);
}

/** Runs a command; throws a CommandError naming the command and its stderr when it fails. */
export async function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  if (opts.input !== undefined) return runWithInput(cmd, args, opts.input, opts.timeoutMs);
  try {
    const { stdout, stderr } = await execFileP(cmd, args, {
      maxBuffer: 64 * 1024 * 1024,
      timeout: opts.timeoutMs ?? 60_000,
      encoding: "utf8",
    });
    return { stdout, stderr };
  } catch (err) {
    throw toCommandError(cmd, args, err);
  }
}

/** Like run, but resolves with ok=false instead of throwing. */
export async function tryRun(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult & { ok: boolean; error?: CommandError }> {
  try {
    return { ok: true, ...(await run(cmd, args, opts)) };
  } catch (err) {
    const error = err instanceof CommandError ? err : new CommandError([cmd, ...args], null, String(err));
    return { ok: false, stdout: "", stderr: error.stderr, error };
  }
}

/** Synchronous variant for read-only queries (status, counters). */
export function runSync(cmd: string, args: string[], timeoutMs = 10_000): string {
  try {
    return execFileSync(cmd, args, {
      encoding: "utf8",
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (err) {
    throw toCommandError(cmd, args, err);
  }
}

function runWithInput(cmd: string, args: string[], input: string, timeoutMs = 60_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(new CommandError([cmd, ...args], null, String(err)));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else reject(new CommandError([cmd, ...args], code ?? signal, stderr));
    });
    child.stdin.end(input);
  });
}

/** argv prefix that runs a command in a named network namespace without remounting /sys. */
export function nsenterArgv(nsFile: string, argv: string[]): string[] {
  return ["nsenter", `--net=${nsFile}`, "--", ...argv];
}
