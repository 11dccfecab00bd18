// File handling for the credential directory: atomic replacement (write a sibling, fsync, rename,
// so a reader such as the controller's watcher sees the old file or the new one, never half of
// one), modes set at creation, and one writer at a time.
import { randomBytes } from "node:crypto";
import { chmod, mkdir, open, readFile, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { DIR_MODE, LOCK_FILE } from "./names.js";

/** An expected failure of `cairn certs` (bad directory, name, state): a message for the user. */
export class CredentialError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = "CredentialError";
  }
}

/** Replaces `path` with `data`, created with `mode`; the directory entry changes in one rename. */
export async function writeFileAtomic(path: string, data: string, mode: number): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  const fh = await open(tmp, "wx", mode);
  try {
    await fh.writeFile(data, "utf8");
    await fh.chmod(mode); // the umask may have taken bits off
    await fh.sync();
  } catch (e) {
    await fh.close();
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** The file's text, or null when it does not exist. */
export async function readOptional(path: string): Promise<string | null> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw e;
  }
}

/** Creates `dir` (and parents) with mode 0700, or tightens an existing one to 0700. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: DIR_MODE });
  const s = await stat(dir);
  if (!s.isDirectory()) throw new CredentialError(`${dir} is not a directory`);
  if ((s.mode & 0o777) !== DIR_MODE) await chmod(dir, DIR_MODE);
}

/** Fails clearly unless `dir` is an existing directory. */
export async function requireDir(dir: string): Promise<void> {
  let s;
  try {
    s = await stat(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new CredentialError(`${dir}: no such directory (\`cairn certs init ${dir}\` creates one)`);
    throw new CredentialError(`${dir}: ${code === "EACCES" ? "permission denied" : String(e)}`);
  }
  if (!s.isDirectory()) throw new CredentialError(`${dir} is not a directory`);
}

async function olderThanMs(path: string, ms: number): Promise<boolean> {
  try {
    return Date.now() - (await stat(path)).mtimeMs > ms;
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Runs `fn` holding DIR/.lock, so two `cairn certs` runs never lose each other's updates to the
 * YAML files. A lock left by a process that no longer runs is taken over.
 */
export async function withDirLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lock = join(dir, LOCK_FILE);
  let takeovers = 0;
  for (let attempt = 0; ; attempt++) {
    try {
      const fh = await open(lock, "wx", 0o600);
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const text = await readOptional(lock);
      const holder = Number.parseInt(text ?? "", 10);
      // A lock whose process is gone is stale; so is an empty one (a crash between create and
      // write) once it is a few seconds old, not while its writer may still be writing the pid.
      const stale =
        text !== null &&
        (text.trim() === "" ? await olderThanMs(lock, 5_000) : !Number.isInteger(holder) || holder <= 0 || !alive(holder));
      if (stale && takeovers < 3) {
        takeovers++;
        await rm(lock, { force: true });
        continue;
      }
      if (attempt < 50) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      throw new CredentialError(`${dir} is locked by another \`cairn certs\` (pid ${Number.isInteger(holder) ? holder : "unknown"}, ${lock}); remove the file if that process is gone`);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { force: true });
  }
}
