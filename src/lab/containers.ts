// Containers behind a lab host: a network namespace (cairn-<name>, so labDown's sweep finds it even
// without state) joined to the host by a veth, with addresses inside the host's subnets. The host
// forwards for it and answers neighbour discovery and ARP for it on its uplink (proxy NDP / proxy
// ARP), so routers reach it without any routing change.
import { didYouMean } from "../core/name-hints.js";
import { DEFAULT_LINK_MTU } from "../core/model.js";
import { containerAddress4, containerAddress6, containerInterfaceName } from "./container-plan.js";
import { HOST_UPLINK, checkNodeName } from "./naming.js";
import { addAddress, createNamespace, createVeth, deleteNamespace, ipIn, namespaceExists, setLinkUp, setSysctls } from "./netns.js";
import { nsName } from "./paths.js";
import { buildPlan, type PlannedHost } from "./plan.js";
import { readState, stateExists, updateState, type LabContainerRecord, type LabState } from "./state.js";

export type { LabContainerRecord };

/** The container's view of its link: eth0, a default route to the host's end of the veth. */
const CONTAINER_UPLINK = "eth0";
/** Addresses of the host's end of every container veth: the containers' default gateways. */
const HOST_SIDE_LINK_LOCAL = "fe80::1";
const HOST_SIDE_ADDRESS4 = "169.254.1.1";

const CONTAINER_SYSCTLS = [
  "net.ipv6.conf.all.accept_dad=0",
  "net.ipv6.conf.default.accept_dad=0",
  "net.ipv6.conf.all.accept_ra=0",
  "net.ipv6.conf.default.accept_ra=0",
];

/** What a host needs to forward for its containers; the proxy delays default to up to 0.8 s per first neighbour lookup. */
function hostForwardingSysctls(): string[] {
  return [
    "net.ipv6.conf.all.forwarding=1",
    "net.ipv4.ip_forward=1",
    `net.ipv6.conf.${HOST_UPLINK}.proxy_ndp=1`,
    `net.ipv6.neigh.${HOST_UPLINK}.proxy_delay=0`,
    `net.ipv4.neigh.${HOST_UPLINK}.proxy_delay=0`,
  ];
}

/** The lab's containers, as recorded. */
export function listContainers(): LabContainerRecord[] {
  return readState()?.containers ?? [];
}

/** The addresses already in use in the lab: hosts, their gateways, containers. */
function takenAddresses(hosts: PlannedHost[], containers: LabContainerRecord[]): Set<string> {
  return new Set([
    ...hosts.flatMap((h) => [h.address, h.gateway, ...(h.address4 ? [h.address4, h.gateway4!] : [])]),
    ...containers.flatMap((c) => [c.address, ...(c.address4 ? [c.address4] : [])]),
  ]);
}

/** Checks the request against the lab's state and works out the container's names and addresses; throws with the reason. */
function planContainer(state: LabState, hostName: string, name: string): { host: PlannedHost; record: LabContainerRecord } {
  const plan = buildPlan(state.topology);
  const host = plan.hosts.find((h) => h.name === hostName);
  if (!host) {
    const names = plan.hosts.map((h) => h.name);
    const near = didYouMean(hostName, names);
    throw new Error(`no host ${hostName} in the lab (containers sit behind hosts: ${names.join(", ")})${near ? `; ${near}` : ""}`);
  }
  checkNodeName(name);
  const nodes = [...plan.routers.map((r) => r.name), ...plan.hosts.map((h) => h.name)];
  if (nodes.includes(name)) throw new Error(`container name ${name} is already a node of the topology`);
  if (state.containers.some((c) => c.name === name)) throw new Error(`container ${name} already exists`);
  if (namespaceExists(nsName(name))) throw new Error(`namespace ${nsName(name)} already exists`);
  const hostInterface = containerInterfaceName(name);
  const sibling = state.containers.find((c) => c.host === hostName && c.hostInterface === hostInterface);
  if (sibling) throw new Error(`containers ${sibling.name} and ${name} behind ${hostName} would both use interface ${hostInterface}; rename one`);
  const taken = takenAddresses(plan.hosts, state.containers);
  const address = containerAddress6(host, taken);
  const address4 = host.address4 ? containerAddress4(host, taken) : undefined;
  return { host, record: { name, host: hostName, namespace: nsName(name), hostInterface, address, ...(address4 ? { address4 } : {}) } };
}

/**
 * Creates a container behind a lab host and resolves with its record (recorded in the lab state
 * before anything is created). On failure it removes what it made and rejects with the reason.
 */
export async function addContainer(hostName: string, name: string): Promise<LabContainerRecord> {
  if (!stateExists()) throw new Error("no lab is up: run `cairn lab up TOPOLOGY` first");
  let planned: ReturnType<typeof planContainer> | undefined;
  // Addresses are picked and recorded in one read-modify-write of the state.
  updateState((s) => {
    planned = planContainer(s, hostName, name);
    s.containers.push(planned.record);
    if (!s.namespaces.includes(planned.record.namespace)) s.namespaces.push(planned.record.namespace);
  });
  const { host, record } = planned!;
  try {
    await build(host, record);
  } catch (err) {
    await removeContainer(host, record);
    throw new Error(`cannot add container ${name} behind ${hostName}: ${(err as Error).message}`, { cause: err });
  }
  return record;
}

async function build(host: PlannedHost, c: LabContainerRecord): Promise<void> {
  await createNamespace(c.namespace);
  await setSysctls(c.namespace, CONTAINER_SYSCTLS);
  await setSysctls(host.ns, hostForwardingSysctls());
  await createVeth({ ns: host.ns, name: c.hostInterface }, { ns: c.namespace, name: CONTAINER_UPLINK }, DEFAULT_LINK_MTU);

  await addAddress(host.ns, c.hostInterface, `${HOST_SIDE_LINK_LOCAL}/64`);
  if (c.address4) await addAddress(host.ns, c.hostInterface, `${HOST_SIDE_ADDRESS4}/32`);
  await setLinkUp(host.ns, c.hostInterface);
  await ipIn(host.ns, ["-6", "route", "add", `${c.address}/128`, "dev", c.hostInterface]);
  await ipIn(host.ns, ["-6", "neigh", "add", "proxy", c.address, "dev", HOST_UPLINK]);
  if (c.address4) {
    await ipIn(host.ns, ["-4", "route", "add", `${c.address4}/32`, "dev", c.hostInterface]);
    await ipIn(host.ns, ["-4", "neigh", "add", "proxy", c.address4, "dev", HOST_UPLINK]);
  }

  await addAddress(c.namespace, CONTAINER_UPLINK, `${c.address}/128`);
  if (c.address4) await addAddress(c.namespace, CONTAINER_UPLINK, `${c.address4}/32`);
  await setLinkUp(c.namespace, CONTAINER_UPLINK);
  await ipIn(c.namespace, ["-6", "route", "add", "default", "via", HOST_SIDE_LINK_LOCAL, "dev", CONTAINER_UPLINK]);
  if (c.address4) await ipIn(c.namespace, ["-4", "route", "add", "default", "via", HOST_SIDE_ADDRESS4, "dev", CONTAINER_UPLINK, "onlink"]);
}

/** Best-effort undo of a container: its namespace (with the veth and the host's routes over it), the proxy entries, the record. */
async function removeContainer(host: PlannedHost, c: LabContainerRecord): Promise<void> {
  const quietly = (work: Promise<unknown>) => work.catch(() => undefined);
  if (namespaceExists(c.namespace)) await quietly(deleteNamespace(c.namespace));
  await quietly(ipIn(host.ns, ["-6", "neigh", "del", "proxy", c.address, "dev", HOST_UPLINK]));
  if (c.address4) await quietly(ipIn(host.ns, ["-4", "neigh", "del", "proxy", c.address4, "dev", HOST_UPLINK]));
  updateState((s) => {
    s.containers = s.containers.filter((x) => x.name !== c.name);
    s.namespaces = s.namespaces.filter((n) => n !== c.namespace);
  });
}
