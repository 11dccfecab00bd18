// IS-IS convergence, judged from the kernel routing tables (FRR 8.4's JSON output is unreliable).
import { formatPrefix4, parsePrefix4 } from "../core/ipv4.js";
import { readRoutes4, readRoutes6, type RouteInfo } from "./netns.js";
import { normalisePrefix, type LabPlan } from "./plan.js";

function normalisePrefix4(text: string): string {
  const p = parsePrefix4(text.includes("/") ? text : `${text}/32`);
  if (!p) throw new Error(`invalid IPv4 prefix ${text}`);
  return formatPrefix4(p);
}

/**
 * For every router: prefix -> what it is, for each route that IS-IS must have installed: the other
 * routers' locators, the other routers' IPv4 link /31s, and the subnets (IPv6 and IPv4) of the hosts
 * behind other routers.
 */
export function expectedIsisRoutes(plan: LabPlan): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  const links4 = plan.links.filter((l) => l.kind === "core" && l.a.address4).map((l) => ({ l, prefix: normalisePrefix4(l.a.address4!) }));
  for (const r of plan.routers) {
    const access = r.interfaces.filter((i) => i.kind === "access");
    const local = new Set([
      ...access.map((i) => normalisePrefix(i.address)),
      ...r.interfaces.flatMap((i) => (i.address4 ? [normalisePrefix4(i.address4)] : [])),
    ]);
    const want = new Map<string, string>();
    for (const other of plan.routers) if (other.name !== r.name) want.set(other.locator, `locator of ${other.name}`);
    for (const { l, prefix } of links4) if (!local.has(prefix)) want.set(prefix, `IPv4 of link ${l.id}`);
    for (const h of plan.hosts) {
      if (!local.has(h.subnet)) want.set(h.subnet, `subnet of ${h.name}`);
      if (h.subnet4 && !local.has(h.subnet4)) want.set(h.subnet4, `IPv4 subnet of ${h.name}`);
    }
    out.set(r.name, want);
  }
  return out;
}

function isIsisRoute(protocol: string | undefined): boolean {
  return protocol === "isis" || protocol === "187";
}

function isisPrefixes(routes: RouteInfo[], normalise: (dst: string) => string): string[] {
  return routes.filter((rt) => isIsisRoute(rt.protocol)).map((rt) => normalise(rt.dst));
}

/** The IS-IS routes each router still lacks (empty map = converged). */
export async function missingIsisRoutes(plan: LabPlan): Promise<Map<string, string[]>> {
  const expected = expectedIsisRoutes(plan);
  const lacking = await Promise.all(
    plan.routers.map(async (r) => {
      const [v6, v4] = await Promise.all([readRoutes6(r.ns), readRoutes4(r.ns)]);
      const have = new Set([
        ...isisPrefixes(v6, (dst) => normalisePrefix(dst.includes("/") ? dst : `${dst}/128`)),
        ...isisPrefixes(v4, normalisePrefix4),
      ]);
      return [...expected.get(r.name)!].filter(([p]) => !have.has(p)).map(([p, what]) => `${p} (${what})`);
    }),
  );
  const missing = new Map<string, string[]>();
  plan.routers.forEach((r, i) => {
    if (lacking[i]!.length) missing.set(r.name, lacking[i]!);
  });
  return missing;
}

export interface ConvergeOptions {
  timeoutMs?: number;
  pollMs?: number;
  onProgress?: (msg: string) => void;
}

/** Polls the routers' kernel tables until every expected IS-IS route is there; returns the time taken. */
export async function waitForConvergence(plan: LabPlan, opts: ConvergeOptions = {}): Promise<number> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const pollMs = opts.pollMs ?? 100;
  const start = Date.now();
  const total = [...expectedIsisRoutes(plan).values()].reduce((n, m) => n + m.size, 0);
  let lastReported = -1;
  for (;;) {
    const missing = await missingIsisRoutes(plan);
    const lacking = [...missing.values()].reduce((n, l) => n + l.length, 0);
    if (lacking === 0) return Date.now() - start;
    if (lacking !== lastReported) {
      opts.onProgress?.(`waiting for IS-IS: ${total - lacking}/${total} routes installed`);
      lastReported = lacking;
    }
    if (Date.now() - start >= timeoutMs) {
      const detail = [...missing].map(([r, l]) => `${r} lacks ${l.join(", ")}`).join("; ");
      throw new Error(
        `IS-IS did not converge within ${timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`}: ${detail}. ` +
          `FRR logs are in /run/cairn/lab/frr/<router>/ (zebra.log, isisd.log).`,
      );
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
