// The lab's lifecycle: labUp builds it, labDown removes it (also after a crash).
import { existsSync, mkdirSync, readdirSync, rmSync, rmdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { Topology } from "../core/model.js";
import { cairnCgroupRoot, cgroup2Mount, removeCgroupDir, removeCgroupTree } from "./cgroups.js";
import { waitForConvergence } from "./converge.js";
import { FRR_TMP_DIR, checkFrrInstalled, readPidFile, writeFrrConfigs } from "./frr.js";
import { startRouterDaemons } from "./routing.js";
import { CONTROLLER_ADDRESS, LAB_DNS_SERVER } from "./endpoint.js";
import { checkDnsmasqInstalled, startDnsServer } from "./dns.js";
import { ROOT_MGMT_LINK, attachHostToMgmt, attachRootToMgmt, createMgmtBridge } from "./mgmt.js";
import { HOST_UPLINK, MGMT_IFACE } from "./naming.js";
import {
  addAddress,
  createNamespace,
  createVeth,
  deleteLink,
  deleteNamespace,
  ipIn,
  linkExists,
  listNamespaces,
  namespaceExists,
  namespacePids,
  setLinkUp,
  setSysctls,
} from "./netns.js";
import { BPF_PIN_DIR, FRR_DIR, LAB_DIR, MGMT_NS, isLabNamespace, nsName } from "./paths.js";
import { buildPlan, type LabPlan, type PlannedHost } from "./plan.js";
import { killProcesses, processComm, type KillTarget } from "./procs.js";
import { ROUTER_SYSCTLS, createSidDevice, installSids, routerInterfaceSysctls } from "./srv6.js";
import {
  newState,
  readState,
  recordCgroup,
  recordNamespace,
  recordRootLink,
  stateExists,
  updateState,
  writeState,
  type LabLinkRecord,
  type LabState,
} from "./state.js";

const HOST_SYSCTLS = [
  "net.ipv6.conf.all.accept_dad=0",
  "net.ipv6.conf.default.accept_dad=0",
  "net.ipv6.conf.all.accept_ra=0",
  "net.ipv6.conf.default.accept_ra=0",
  "net.ipv4.conf.all.rp_filter=0",
  "net.ipv4.conf.default.rp_filter=0",
];

export const LAB_ALREADY_UP = "a lab is already up; run `cairn lab down` first";

export interface LabUpOptions {
  onProgress?: (msg: string) => void;
  /** How long to wait for IS-IS to converge (default 60 s). */
  convergenceTimeoutMs?: number;
}

/** Like Promise.all, but waits for every promise to settle before rejecting (no work left running behind a teardown). */
async function allSettledOrThrow(promises: Array<Promise<unknown>>): Promise<void> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
}

function requireRoot(): void {
  if (process.getuid && process.getuid() !== 0) throw new Error("the lab needs root (network namespaces, FRR, cgroups)");
}

/** True when a lab (or the leftovers of one) exists: state file, cairn-* namespaces or the cairn-mgmt link. */
export function labExists(): boolean {
  return stateExists() || listNamespaces().some(isLabNamespace) || linkExists(null, ROOT_MGMT_LINK);
}

/**
 * Builds the lab for `topology`: namespaces, veths, addresses, SRv6 SIDs, the management network,
 * FRR IS-IS on every router; resolves once IS-IS has converged (kernel routes checked). On failure it
 * tears down what it built and rejects with the reason.
 */
export async function labUp(topology: Topology, opts: LabUpOptions = {}): Promise<LabState> {
  const progress = opts.onProgress ?? (() => {});
  const start = Date.now();
  requireRoot();
  const plan = buildPlan(topology);
  if (labExists()) throw new Error(LAB_ALREADY_UP);
  await checkFrrInstalled();
  checkDnsmasqInstalled();
  cgroup2Mount();
  writeState(newState(topology));
  try {
    await buildNetwork(plan, progress);
    progress(`starting the DNS server on ${LAB_DNS_SERVER}`);
    await startDnsServer();
    await startRouting(plan, progress);
    const convergedAfter = await waitForConvergence(plan, { timeoutMs: opts.convergenceTimeoutMs ?? 60_000, onProgress: progress });
    const total = Date.now() - start;
    progress(`IS-IS converged ${(convergedAfter / 1000).toFixed(1)} s after the routers started; lab up in ${(total / 1000).toFixed(1)} s`);
    return updateState((s) => {
      s.phase = "up";
      s.convergedAfterMs = convergedAfter;
      s.upAfterMs = total;
    });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    progress(`lab up failed (${reason}); tearing down`);
    try {
      updateState((s) => (s.phase = "failed"));
    } catch {
      /* state may be unreadable; labDown sweeps anyway */
    }
    try {
      await labDown({ onProgress: progress });
    } catch (downErr) {
      throw new Error(`lab up failed: ${reason} (and cleaning up failed too: ${(downErr as Error).message})`, { cause: err });
    }
    throw new Error(`lab up failed: ${reason}`, { cause: err });
  }
}

async function buildNetwork(plan: LabPlan, progress: (m: string) => void): Promise<void> {
  const namespaces = [...plan.routers.map((r) => r.ns), ...plan.hosts.map((h) => h.ns), MGMT_NS];
  progress(`creating ${namespaces.length} network namespaces`);
  for (const ns of namespaces) {
    recordNamespace(ns);
    await createNamespace(ns);
  }
  await allSettledOrThrow([
    ...plan.routers.map((r) => setSysctls(r.ns, ROUTER_SYSCTLS)),
    ...plan.hosts.map((h) => setSysctls(h.ns, HOST_SYSCTLS)),
    setSysctls(MGMT_NS, HOST_SYSCTLS),
  ]);

  const core = plan.links.filter((l) => l.kind === "core").length;
  progress(`wiring ${core} router links and ${plan.links.length - core} host uplinks`);
  updateState((s) => s.links.push(...plan.links.map((l): LabLinkRecord => ({ id: l.id, kind: l.kind, a: l.a, b: l.b, mtu: l.mtu }))));
  for (const l of plan.links) {
    const ends = [l.a, l.b].map((e) => ({ ns: nsName(e.node), name: e.ifname, addresses: [e.address, ...(e.address4 ? [e.address4] : [])] }));
    await createVeth(ends[0]!, ends[1]!, l.mtu);
    for (const e of ends) {
      for (const address of e.addresses) await addAddress(e.ns, e.name, address);
      await setLinkUp(e.ns, e.name);
    }
  }
  await allSettledOrThrow(plan.routers.map((r) => setSysctls(r.ns, r.interfaces.flatMap((i) => routerInterfaceSysctls(i.name)))));
  await allSettledOrThrow(plan.hosts.map((h) => routeHost(plan, h)));

  progress(`installing SRv6 SIDs on ${plan.routers.length} routers`);
  await allSettledOrThrow(
    plan.routers.map(async (r) => {
      await createSidDevice(r.ns, r.locatorAddress);
      await installSids(r);
    }),
  );

  progress("setting up the management network");
  await createMgmtBridge();
  updateState((s) =>
    s.links.push(
      ...plan.hosts.map((h): LabLinkRecord => ({ id: `${h.name}-mgmt`, kind: "mgmt", a: { node: h.name, ifname: MGMT_IFACE, address: `${h.mgmtAddress}/64` }, b: { node: "mgmt", ifname: h.mgmtPort } })),
      { id: "root-mgmt", kind: "mgmt", a: { node: "root", ifname: ROOT_MGMT_LINK, address: `${CONTROLLER_ADDRESS}/64` }, b: { node: "mgmt", ifname: "root" } },
    ),
  );
  for (const h of plan.hosts) await attachHostToMgmt(h.ns, h.index, h.mgmtAddress);
  recordRootLink(ROOT_MGMT_LINK);
  await attachRootToMgmt();

  const apps = join(cairnCgroupRoot(), "apps");
  recordCgroup(cairnCgroupRoot());
  recordCgroup(apps);
  mkdirSync(apps, { recursive: true });
}

/**
 * A host's default routes (IPv6, and IPv4 when dual-stack) and its router's host routes to it, so
 * that hosts sharing a subnet behind one router are each reached on their own interface.
 */
async function routeHost(plan: LabPlan, h: PlannedHost): Promise<void> {
  const router = plan.routers.find((r) => r.name === h.router)!;
  await ipIn(h.ns, ["-6", "route", "add", "default", "via", h.gateway, "dev", HOST_UPLINK]);
  await ipIn(router.ns, ["-6", "route", "add", `${h.address}/128`, "dev", h.routerInterface]);
  if (h.address4 && h.gateway4) {
    await ipIn(h.ns, ["-4", "route", "add", "default", "via", h.gateway4, "dev", HOST_UPLINK]);
    await ipIn(router.ns, ["-4", "route", "add", `${h.address4}/32`, "dev", h.routerInterface]);
  }
}

async function startRouting(plan: LabPlan, progress: (m: string) => void): Promise<void> {
  progress(`starting FRR (zebra + isisd) on ${plan.routers.length} routers`);
  await allSettledOrThrow(
    plan.routers.map(async (r) => {
      await writeFrrConfigs(r);
      await startRouterDaemons(r);
    }),
  );
}

export interface LabDownOptions {
  onProgress?: (msg: string) => void;
}

/**
 * Removes everything a lab created, from the state file and by convention (cairn-* namespaces except
 * cairn-t-*, processes in them, the cairn-mgmt link, <cgroup2>/cairn, /sys/fs/bpf/cairn, /run/cairn/lab).
 * Idempotent. Keeps going past failures and throws at the end if anything could not be removed.
 */
export async function labDown(opts: LabDownOptions = {}): Promise<{ removed: string[] }> {
  requireRoot();
  const progress = opts.onProgress ?? (() => {});
  const removed: string[] = [];
  const errors: string[] = [];
  const attempt = async (what: string, fn: () => Promise<void> | void) => {
    try {
      await fn();
    } catch (err) {
      errors.push(`${what}: ${(err as Error).message}`);
    }
  };

  let state: LabState | null = null;
  try {
    state = readState();
  } catch (err) {
    progress(`state file unreadable (${(err as Error).message}); sweeping by convention`);
  }

  // 1. Processes: recorded ones (any namespace), FRR pid files, and everything inside lab namespaces.
  const namespaces = [...new Set([...(state?.namespaces ?? []).filter(isLabNamespace), ...listNamespaces().filter(isLabNamespace)])];
  const targets: Array<KillTarget & { label: string }> = [];
  for (const p of state?.processes ?? []) {
    let pid = p.pid;
    let startTime = p.startTime;
    if (pid === null && p.pidFile) {
      pid = await readPidFile(p.pidFile);
      startTime = null;
      if (pid !== null && processComm(pid) !== basename(p.argv[0] ?? "")) pid = null;
    }
    if (pid !== null) targets.push({ pid, startTime, label: `process ${p.role}${p.node ? ` of ${p.node}` : ""} (pid ${pid})` });
  }
  for (const pidFile of frrPidFiles()) {
    const pid = await readPidFile(pidFile);
    if (pid !== null && processComm(pid) === basename(pidFile, ".pid")) targets.push({ pid, label: `process ${basename(pidFile, ".pid")} (pid ${pid})` });
  }
  for (const ns of namespaces) {
    for (const pid of await namespacePids(ns)) targets.push({ pid, label: `process ${processComm(pid) ?? "?"} in ${ns} (pid ${pid})` });
  }
  // FRR daemons leave a directory in /var/tmp/frr, named after the launcher's pid (recorded in the state).
  const frrTmpDirs = new Set<string>();
  for (const p of state?.processes ?? []) if (p.tmpDir?.startsWith(`${FRR_TMP_DIR}/`)) frrTmpDirs.add(p.tmpDir);
  if (targets.length) progress(`stopping ${targets.length} processes`);
  await attempt("stopping processes", async () => {
    const stopped = new Set(await killProcesses(targets));
    const seen = new Set<number>();
    for (const t of targets) {
      if (stopped.has(t.pid) && !seen.has(t.pid)) {
        removed.push(t.label);
        seen.add(t.pid);
      }
    }
  });

  for (const dir of frrTmpDirs) {
    if (existsSync(dir)) await attempt(`removing ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  }
  try {
    if (frrTmpDirs.size) rmdirSync(FRR_TMP_DIR); // only when empty
  } catch {
    /* other FRR daemons' dirs, or absent */
  }

  // 2. cgroups, deepest first; processes inside are stopped. Cairn's own subtree goes as a whole; elsewhere
  // only the directories the lab recorded, never one it did not create.
  let cairnRoot: string | null = null;
  try {
    cairnRoot = cairnCgroupRoot();
  } catch {
    /* no cgroup2 mount: nothing to sweep */
  }
  const inCairnRoot = (dir: string) => cairnRoot !== null && (dir === cairnRoot || dir.startsWith(`${cairnRoot}/`));
  const cgroups = [...new Set([...(state?.cgroups ?? []), ...(cairnRoot ? [cairnRoot] : [])])].sort((a, b) => b.length - a.length);
  for (const dir of cgroups) {
    await attempt(`removing cgroup ${dir}`, async () => {
      if (inCairnRoot(dir)) for (const d of await removeCgroupTree(dir)) removed.push(`cgroup ${d}`);
      else if (await removeCgroupDir(dir)) removed.push(`cgroup ${dir}`);
    });
  }

  // 3. Root-namespace links, then namespaces (their veths go with them).
  for (const link of new Set([...(state?.rootLinks ?? []), ROOT_MGMT_LINK])) {
    if (linkExists(null, link)) await attempt(`deleting link ${link}`, async () => {
      await deleteLink(null, link);
      removed.push(`link ${link}`);
    });
  }
  if (namespaces.length) progress(`deleting ${namespaces.length} network namespaces`);
  for (const ns of namespaces) {
    if (namespaceExists(ns)) await attempt(`deleting namespace ${ns}`, async () => {
      await deleteNamespace(ns);
      removed.push(`netns ${ns}`);
    });
  }

  // 4. BPF pins and runtime directories.
  for (const pin of new Set([...(state?.pins ?? []), BPF_PIN_DIR])) {
    if (existsSync(pin)) await attempt(`removing ${pin}`, () => {
      rmSync(pin, { recursive: true, force: true });
      removed.push(`pin ${pin}`);
    });
  }
  for (const dir of new Set([...(state?.dirs ?? []), LAB_DIR])) {
    if (existsSync(dir)) await attempt(`removing ${dir}`, () => {
      rmSync(dir, { recursive: true, force: true });
      removed.push(`dir ${dir}`);
    });
  }
  try {
    rmdirSync(dirname(LAB_DIR)); // /run/cairn, only when empty
  } catch {
    /* not empty or absent */
  }

  if (errors.length) throw new Error(`lab down left things behind: ${errors.join("; ")}`);
  progress(removed.length ? `removed ${removed.length} lab resources` : "no lab to remove");
  return { removed };
}

function frrPidFiles(): string[] {
  if (!existsSync(FRR_DIR)) return [];
  const out: string[] = [];
  for (const router of readdirSync(FRR_DIR)) {
    for (const d of ["zebra", "isisd"]) {
      const f = join(FRR_DIR, router, `${d}.pid`);
      if (existsSync(f)) out.push(f);
    }
  }
  return out;
}

