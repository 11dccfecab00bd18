// Reading /proc/mounts: which file systems are mounted where.
import { readFileSync } from "node:fs";

export interface Mount {
  target: string;
  type: string;
}

/** "\040" etc. in /proc/mounts fields. */
function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** The mounts listed in `mountsText`, or in /proc/mounts (none when it can't be read). */
export function readMounts(mountsText?: string): Mount[] {
  let text = mountsText;
  if (text === undefined) {
    try {
      text = readFileSync("/proc/mounts", "utf8");
    } catch {
      return [];
    }
  }
  return text.split("\n").flatMap((line) => {
    const [, target, type] = line.split(" ");
    return target && type ? [{ target: unescapeMountField(target), type }] : [];
  });
}
