// Where the tests and benchmarks find the Internet Topology Zoo files: data/topology-zoo in the
// repository (the directory whose package.json is named "cairn"), found by walking up from the
// compiled module (or the working directory). The files are CC BY 4.0; data/topology-zoo/README.md
// carries the attribution. Missing data is an error, never a reason to skip.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export function findRepoRoot(): string {
  const isCairn = (dir: string) => {
    const p = path.join(dir, "package.json");
    if (!existsSync(p)) return false;
    try { return (JSON.parse(readFileSync(p, "utf8")) as { name?: string }).name === "cairn"; } catch { return false; }
  };
  for (const start of [path.dirname(fileURLToPath(import.meta.url)), process.cwd()]) {
    for (let dir = start; ; dir = path.dirname(dir)) {
      if (isCairn(dir)) return dir;
      if (path.dirname(dir) === dir) break;
    }
  }
  throw new Error(`cannot find the repository root (a package.json named "cairn") above ${fileURLToPath(import.meta.url)} or ${process.cwd()}`);
}

/** The directory holding the zoo's .graphml files; throws a clear error when it is missing. */
export function zooDir(): string {
  const dir = path.resolve(findRepoRoot(), "data", "topology-zoo");
  if (!existsSync(dir)) throw new Error(`the Topology Zoo data is missing: expected the .graphml files in ${dir}`);
  return dir;
}

/** The path of one zoo file; throws a clear error when it is missing. */
export function zooPath(name: string): string {
  const file = path.join(zooDir(), name);
  if (!existsSync(file)) throw new Error(`the Topology Zoo file ${name} is missing: expected ${file}`);
  return file;
}

/** The text of one zoo file. */
export function zoo(name: string): string {
  return readFileSync(zooPath(name), "utf8");
}
