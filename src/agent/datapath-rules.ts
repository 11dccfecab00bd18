// The controller's rules for this host, plus what only the host knows (cgroup ids, uids, DNS
// answers, its own address), become the datapath's desired state and a verdict per rule. Pure.
import type { HostRule, RuleTarget } from "../core/assignments.js";
import { parseFamilyPrefix, type FamilyPrefix } from "../datapath/addresses.js";
import { prefixContains } from "../core/ipv6.js";
import { CAIRN_MAX_PROBE_SIDS, CAIRN_MAX_SIDS } from "../datapath/layout.js";
import { pathKey } from "../datapath/plan.js";
import type { CgroupClass, DatapathRule, DesiredDatapath, PathSpec } from "../datapath/types.js";

export interface CgroupFact {
  id: bigint;
  level: number;
}

/** What the host knows that the controller does not. */
export interface HostFacts {
  /** cgroup path (relative to the cgroup2 mount, "/a/b") → its id and depth; null while it does not exist. */
  cgroups: ReadonlyMap<string, CgroupFact | null>;
  /** user as the intent wrote it → uid; null when this host has no such user. */
  users: ReadonlyMap<string, number | null>;
  /** DNS name → its current addresses; absent while the first answer is pending. */
  dns: ReadonlyMap<string, { addresses: string[]; error: string | null }>;
  /** The host's IPv6 address: the outer source of encapsulated IPv4. */
  address6: string | null;
}

export type RuleState = "installed" | "not-steered" | "waiting" | "error";

/** The agent's verdict on one of the controller's rules. */
export interface RuleVerdict {
  key: string;
  state: RuleState;
  /** Why it is not installed, or why some of its traffic is not steered. */
  reason: string | null;
  /** Datapath identities of the rule (one per destination group). */
  identities: string[];
  /** Destination prefixes it holds in the datapath (a DNS name's current addresses). */
  prefixes: string[];
}

/** The cgroup path of a lab app (an `app:` match). */
export type AppCgroupPath = (app: string) => string;

/** 32-bit FNV-1a, never 0 (0 is "any process"). */
function classHash(path: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < path.length; i++) h = Math.imul(h ^ path.charCodeAt(i), 0x01000193) >>> 0;
  return h || 1;
}

/** Stable class ids for cgroup paths: the same set of paths gives the same ids on every run. */
export function classIds(paths: Iterable<string>): Map<string, number> {
  const out = new Map<string, number>();
  const used = new Set<number>();
  for (const p of [...new Set(paths)].sort()) {
    let id = classHash(p);
    while (used.has(id)) id = (id + 1) >>> 0 || 1;
    used.add(id);
    out.set(p, id);
  }
  return out;
}

function pathSpec(target: RuleTarget, family: 4 | 6, which: "primary" | "backup", probing: boolean): { spec: PathSpec | null; problem: string | null } {
  const result = target.result;
  if (!result.ok) return { spec: null, problem: result.reason };
  const path = which === "primary" ? result.path : result.backup;
  if (!path) return { spec: null, problem: null };
  const sids = path.segments.map((s) => s.sid);
  const max = family === 6 ? CAIRN_MAX_SIDS - 1 : CAIRN_MAX_SIDS;
  if (sids.length > max) return { spec: null, problem: `the ${which} path needs ${sids.length} SIDs; the datapath holds ${max} for IPv${family}` };
  if (family === 4 && sids.length === 0) return { spec: null, problem: `the ${which} IPv4 path has no decapsulation SID` };
  const probe = probing ? (which === "primary" ? target.probes?.primary : (target.probes?.backup ?? undefined)) : undefined;
  const usable = probe && probe.length > 0 && probe.length <= CAIRN_MAX_PROBE_SIDS ? probe : undefined;
  return { spec: { mode: family === 6 ? "inline" : "encap", sids, ...(usable ? { probe: usable } : {}) }, problem: null };
}

function matchText(r: HostRule): string {
  const m = r.match;
  return JSON.stringify([m.app ?? null, m.cgroup ?? null, m.user ?? null, m.source ?? null, m.protocol, m.portFrom, m.portTo]);
}

/** The one family a rule's packets can have, when its source or protocol fixes it; else null. */
function ruleFamily(r: HostRule): 4 | 6 | null {
  if (r.match.source !== undefined) return parseFamilyPrefix(r.match.source)?.family ?? null;
  if (r.match.protocol === 1) return 4;
  if (r.match.protocol === 58) return 6;
  return null;
}

function asPrefix(address: string): FamilyPrefix | null {
  return parseFamilyPrefix(address);
}

/** The target whose prefix holds the address, longest prefix first; null when none does. */
function targetFor(targets: { t: RuleTarget; p: FamilyPrefix }[], addr: FamilyPrefix): RuleTarget | null {
  let best: { t: RuleTarget; p: FamilyPrefix } | null = null;
  for (const x of targets) {
    if (x.p.family !== addr.family || !prefixContains(x.p.prefix, addr.prefix.bytes)) continue;
    if (!best || x.p.prefix.len > best.p.prefix.len) best = x;
  }
  return best?.t ?? null;
}

/**
 * `probe`: the agent's probe port and secret, or null when it does not probe; rules then carry
 * their paths' loopback probes, and `degraded` (pathKey()s) sends rules whose primary it names to
 * their backups. A rule whose intent has probes off carries no probe and no backup, and the kernel
 * keeps it on its primary whatever the probes of that path say (noLiveness).
 */
export function buildDesired(
  rules: HostRule[],
  facts: HostFacts,
  appCgroupPath: AppCgroupPath,
  probe: { port: number; secret: number } | null = null,
  degraded: ReadonlySet<string> = new Set(),
): { desired: DesiredDatapath; verdicts: RuleVerdict[] } {
  const probing = probe !== null;
  const cgroupOf = (r: HostRule): string | null => (r.match.app !== undefined ? appCgroupPath(r.match.app) : (r.match.cgroup ?? null));
  const ids = classIds(rules.map(cgroupOf).filter((p): p is string => p !== null));
  const datapathRules: DatapathRule[] = [];
  const classes = new Map<number, CgroupClass>();
  const verdicts: RuleVerdict[] = [];

  for (const r of rules) {
    const verdict = (state: RuleState, reason: string | null, identities: string[] = [], prefixes: string[] = []) =>
      verdicts.push({ key: r.key, state, reason, identities, prefixes });
    const cgroupPath = cgroupOf(r);
    let classId = 0;
    if (cgroupPath !== null) {
      const fact = facts.cgroups.get(cgroupPath) ?? null;
      if (!fact) {
        verdict("waiting", `cgroup ${cgroupPath} does not exist on this host (yet); the rule is installed once it does`);
        continue;
      }
      classId = ids.get(cgroupPath)!;
      classes.set(classId, { id: fact.id, level: fact.level, classId });
    }
    let uid: number | null = null;
    if (r.match.user !== undefined) {
      uid = facts.users.get(r.match.user) ?? null;
      if (uid === null) {
        verdict("error", `user ${r.match.user} does not exist on this host`);
        continue;
      }
    }

    const family = ruleFamily(r);
    // Destination groups: each static target, or a DNS name's addresses grouped by the target holding them.
    const groups: { target: RuleTarget | null; label: string; destinations: string[]; family: 4 | 6 }[] = [];
    if (r.dns !== undefined) {
      const answer = facts.dns.get(r.dns);
      if (!answer) {
        verdict("waiting", `resolving ${r.dns}`);
        continue;
      }
      const usable = answer.addresses.filter((a) => family === null || asPrefix(a)?.family === family);
      if (usable.length === 0) {
        const which = family === null ? "" : ` of IPv${family}`;
        verdict("waiting", `${r.dns} has no addresses${which}${answer.error ? ` (${answer.error})` : ""}`);
        continue;
      }
      const targets = r.targets.flatMap((t) => {
        const p = asPrefix(t.prefix);
        return p ? [{ t, p }] : [];
      });
      const byTarget = new Map<string, { target: RuleTarget | null; label: string; destinations: string[]; family: 4 | 6 }>();
      for (const a of answer.addresses) {
        const p = asPrefix(a);
        // An address of a family the rule cannot match (its source's, or its ICMP's, is the other) is left out.
        if (!p || (family !== null && p.family !== family)) continue;
        const t = targetFor(targets, p);
        const label = t ? t.prefix : `unrouted-v${p.family}`;
        const g = byTarget.get(label) ?? { target: t, label, destinations: [], family: p.family };
        g.destinations.push(p.family === 4 ? `${a}/32` : `${a}/128`);
        byTarget.set(label, g);
      }
      groups.push(...[...byTarget.values()].sort((a, b) => (a.label < b.label ? -1 : 1)));
    } else {
      for (const t of r.targets) {
        const p = asPrefix(t.prefix);
        if (p) groups.push({ target: t, label: t.prefix, destinations: [t.prefix], family: p.family });
      }
    }

    const identities: string[] = [];
    const prefixes: string[] = [];
    const problems: string[] = [];
    const liveless = r.liveliness?.probes === false;
    for (const g of groups) {
      const identity = `${r.key}|${matchText(r)}|${g.label}`;
      let primary: PathSpec | null = null;
      let backup: PathSpec | null = null;
      if (g.target) {
        const p = pathSpec(g.target, g.family, "primary", probing && !liveless);
        primary = p.spec;
        if (p.problem) problems.push(`${g.label}: ${p.problem}`);
        // Nothing would ever switch a rule without liveliness to a backup.
        backup = liveless ? null : pathSpec(g.target, g.family, "backup", probing).spec;
      } else {
        problems.push(`${g.destinations.join(", ")}: not behind any destination of the topology`);
      }
      if (g.family === 4 && primary && !facts.address6) {
        primary = null;
        backup = null;
        problems.push(`${g.label}: this host has no IPv6 address to encapsulate IPv4 from`);
      }
      datapathRules.push({
        identity,
        classId,
        destinations: g.destinations,
        uid,
        source: r.match.source ?? null,
        protocol: r.match.protocol,
        portFrom: r.match.portFrom,
        portTo: r.match.portTo,
        priority: r.priority,
        closed: r.onFailure === "closed",
        primary,
        backup,
        useBackup: primary !== null && backup !== null && degraded.has(pathKey(primary)),
        noLiveness: liveless,
      });
      identities.push(identity);
      prefixes.push(...g.destinations);
    }
    if (groups.length === 0) verdict("error", "no destination this host can install (no target of a family it can match)");
    else if (problems.length) verdict("not-steered", `${problems.join("; ")}; its packets are ${r.onFailure === "closed" ? "dropped (onFailure closed)" : "sent unsteered (onFailure open)"}`, identities, prefixes);
    else verdict("installed", null, identities, prefixes);
  }
  return { desired: { rules: datapathRules, cgroups: [...classes.values()], encapSource: facts.address6, probe }, verdicts };
}

/** SRH (and, for IPv4, outer header) bytes a path adds to each packet. */
export function overheadBytes(p: PathSpec | null): number {
  if (!p || p.sids.length === 0) return 0;
  return p.mode === "inline" ? 8 + 16 * (p.sids.length + 1) : 40 + 8 + 16 * p.sids.length;
}
