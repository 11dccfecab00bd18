// Running lab commands as another user: who the user is (getent passwd) and the argv that switches to it.
import { runSync } from "./run.js";

export interface LabUser {
  name: string;
  uid: number;
  /** The user's primary group. */
  gid: number;
}

const USER_SPEC = /^(?:\d+|[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?)$/;

/** Looks a user up by name or uid (a number is a uid); throws when there is no such user. */
export function resolveUser(spec: string | number): LabUser {
  const text = String(spec);
  if (!USER_SPEC.test(text)) throw new Error(`"${text}" is not a user name or uid`);
  let entry: string;
  try {
    entry = runSync("getent", ["passwd", text]).trim().split("\n")[0] ?? "";
  } catch {
    entry = "";
  }
  const [name, , uid, gid] = entry.split(":");
  if (!name || uid === undefined || gid === undefined) throw new Error(`no user "${text}" on this machine (getent passwd ${text} finds nothing)`);
  return { name, uid: Number(uid), gid: Number(gid) };
}

/** argv prefix that runs a command as `user`, with its primary group and its supplementary groups. */
export function asUserArgv(user: LabUser): string[] {
  return ["setpriv", `--reuid=${user.uid}`, `--regid=${user.gid}`, "--init-groups", "--"];
}
