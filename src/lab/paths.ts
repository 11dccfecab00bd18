// Fixed locations and naming conventions of the lab. Pure.
import { join } from "node:path";

/** Runtime directory of the lab: state file, logs, FRR configs and sockets. */
export const LAB_DIR = "/run/cairn/lab";
export const STATE_FILE = join(LAB_DIR, "state.json");
export const LOG_DIR = join(LAB_DIR, "logs");
export const FRR_DIR = join(LAB_DIR, "frr");
/** Where the datapath pins its BPF objects; labDown removes it. */
export const BPF_PIN_DIR = "/sys/fs/bpf/cairn";
/** Where `ip netns add` puts namespace handles. */
export const NETNS_DIR = "/run/netns";

/** Every lab namespace is named `cairn-<node>`. */
export const NS_PREFIX = "cairn-";
/** Namespaces of other modules' tests; labDown's sweep never touches them. */
export const TEST_NS_PREFIX = "cairn-t-";
/** Name of the management namespace (holds the bridge). */
export const MGMT_NS = "cairn-mgmt";

export const FRR_BIN_DIR = "/usr/lib/frr";
/** FRR daemons drop privileges to this user; their runtime dirs must belong to it. */
export const FRR_USER = "frr";

export function nsName(node: string): string {
  return `${NS_PREFIX}${node}`;
}

export function nsPath(ns: string): string {
  return join(NETNS_DIR, ns);
}

/** True for namespaces that labDown sweeps by convention: cairn-* except cairn-t-*. */
export function isLabNamespace(ns: string): boolean {
  return ns.startsWith(NS_PREFIX) && !ns.startsWith(TEST_NS_PREFIX);
}

export function frrRouterDir(router: string): string {
  return join(FRR_DIR, router);
}
