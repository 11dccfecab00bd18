// cgroup v2 paths as users write them ("/cairn-test.slice/video.service/worker"), relative to the
// cgroup2 mount: validation only. Pure.

const COMPONENT = /^[A-Za-z0-9_.@:-]{1,255}$/;
const RULE = "letters, digits, '_', '.', '@', ':' and '-', at most 255";

/** The path's components, top first; throws with the reason when the path is not usable. */
export function cgroupPathComponents(path: string): string[] {
  const bad = (why: string) => new Error(`cgroup path "${path}" ${why}`);
  if (!path.startsWith("/")) throw bad("must be absolute: start with / (it is relative to the cgroup2 mount)");
  const parts = path.slice(1).split("/");
  if (parts.length === 1 && parts[0] === "") throw bad("names the root cgroup; give a cgroup below it, e.g. /cairn-test.slice/app.service");
  for (const p of parts) {
    if (p === "") throw bad("has an empty component (// or a trailing /)");
    if (p === "." || p === "..") throw bad(`may not contain "${p}"`);
    if (!COMPONENT.test(p)) throw bad(`has a component "${p}" with characters other than ${RULE}`);
    if (p.startsWith("cgroup.")) throw bad(`has a component "${p}": names starting with "cgroup." are the kernel's`);
  }
  return parts;
}
