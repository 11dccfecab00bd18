// The syntax of the values an intent's match takes besides names and prefixes: cgroup paths, users
// and DNS names. Each check returns the normalised value or why the text is not one. Pure.

import { quote } from "./quote.js";

export type SyntaxResult = { ok: true; value: string } | { ok: false; reason: string };

/** PATH_MAX: the longest path the kernel resolves. */
export const MAX_CGROUP_PATH_BYTES = 4096;
/** NAME_MAX: the longest directory name. */
const MAX_CGROUP_NAME_BYTES = 255;
/** The largest uid; 4294967295 is (uid_t)-1, which means "no uid" to the kernel. */
export const MAX_UID = 4294967294;
/** useradd's limit, and what `ps` and most tools expect. */
export const MAX_USER_NAME = 32;
export const MAX_DNS_NAME = 253;
const MAX_DNS_LABEL = 63;

const utf8Length = (s: string) => new TextEncoder().encode(s).length;
/** Control, format, private-use, surrogate and unassigned code points. */
const NON_PRINTABLE = /\p{C}/u;

function codePoint(s: string): string {
  return `U+${s.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
}

/**
 * A cgroup v2 path relative to the cgroup2 mount, e.g. "/system.slice/video.service": absolute,
 * no empty, "." or ".." components, printable, at most 4096 bytes. "/" alone (every process) is refused:
 * leaving the cgroup out says that.
 */
export function parseCgroupPath(text: string): SyntaxResult {
  const fail = (reason: string): SyntaxResult => ({ ok: false, reason });
  if (!text.startsWith("/")) return fail(`${quote(text)} is not absolute: write the path from the cgroup2 mount, e.g. /system.slice/video.service`);
  if (text === "/") return fail(`"/" is the root cgroup, which holds every process: leave cgroup out to match any process`);
  const bytes = utf8Length(text);
  if (bytes > MAX_CGROUP_PATH_BYTES) return fail(`the path is ${bytes} bytes long; at most ${MAX_CGROUP_PATH_BYTES}`);
  const bad = NON_PRINTABLE.exec(text);
  if (bad) return fail(`${quote(text)} contains a non-printable character (${codePoint(bad[0])})`);
  for (const part of text.slice(1).split("/")) {
    if (part === "") return fail(`${quote(text)} has an empty component (a doubled or trailing /)`);
    if (part === "." || part === "..") return fail(`${quote(text)} has a ${quote(part)} component; write the path without . and ..`);
    if (utf8Length(part) > MAX_CGROUP_NAME_BYTES) return fail(`"${part.slice(0, 20)}…" is longer than ${MAX_CGROUP_NAME_BYTES} bytes, the longest cgroup name`);
  }
  return { ok: true, value: text };
}

/**
 * A uid ("1001", 0..4294967294, normalised without leading zeros) or a POSIX portable user name
 * (letters, digits, ". _ -", not starting with "-", at most 32 characters); resolved on each host.
 */
export function parseUser(text: string): SyntaxResult {
  if (/^\d+$/.test(text)) {
    const uid = Number(text);
    if (uid > MAX_UID) return { ok: false, reason: `uid ${text} is out of range: 0 to ${MAX_UID}` };
    return { ok: true, value: String(uid) };
  }
  if (text.length > MAX_USER_NAME) return { ok: false, reason: `user name "${text.slice(0, 40)}…" is longer than ${MAX_USER_NAME} characters` };
  if (!/^[A-Za-z0-9._][A-Za-z0-9._-]*$/.test(text)) {
    return { ok: false, reason: `${quote(text)} is neither a uid nor a portable user name (letters, digits, . _ -, not starting with -)` };
  }
  return { ok: true, value: text };
}

/**
 * An RFC 1123 host name with at least one dot, at most 253 characters, normalised to lower case
 * without a trailing dot. The last label may not be all digits (that reads as an IPv4 address).
 */
export function parseDnsName(text: string): SyntaxResult {
  const fail = (why: string): SyntaxResult => ({ ok: false, reason: `${quote(text)} is not a DNS name: ${why}` });
  const name = text.endsWith(".") ? text.slice(0, -1) : text;
  if (name.length > MAX_DNS_NAME) return fail(`${name.length} characters; at most ${MAX_DNS_NAME}`);
  const labels = name.split(".");
  if (labels.length < 2) return fail("it needs at least one dot, e.g. video.example.com");
  for (const label of labels) {
    if (label === "") return fail("it has an empty label (two dots in a row, or a leading dot)");
    if (label.length > MAX_DNS_LABEL) return fail(`label "${label.slice(0, 20)}…" is longer than ${MAX_DNS_LABEL} characters`);
    if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/.test(label)) {
      return fail(`label ${quote(label)} may hold only letters, digits and -, and may not start or end with -`);
    }
  }
  if (/^\d+$/.test(labels[labels.length - 1]!)) return fail("its last label is all digits");
  return { ok: true, value: name.toLowerCase() };
}
