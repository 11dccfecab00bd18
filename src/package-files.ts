// Files that ship with Cairn next to its compiled code (the eBPF object, examples), found from the
// package root: the nearest directory above this module whose package.json is named "cairn". Works
// for dist/, dist-bench/ and an installed package alike.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let root: string | null = null;

function isCairn(dir: string): boolean {
  const p = join(dir, "package.json");
  if (!existsSync(p)) return false;
  try {
    return (JSON.parse(readFileSync(p, "utf8")) as { name?: string }).name === "cairn";
  } catch {
    return false;
  }
}

export function packageRoot(): string {
  if (root !== null) return root;
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (isCairn(dir)) return (root = dir);
    if (dirname(dir) === dir) throw new Error(`cannot find Cairn's package root (a package.json named "cairn") above ${fileURLToPath(import.meta.url)}`);
  }
}

/** A file of the package, by its path from the package root. */
export function packageFile(...parts: string[]): string {
  return join(packageRoot(), ...parts);
}
