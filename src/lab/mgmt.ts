// Out-of-band management network: namespace cairn-mgmt holds a bridge; every host gets mgmt0 on it,
// the root namespace gets the veth "cairn-mgmt" with the controller's address.
import { addressInPrefix, parsePrefix } from "../core/ipv6.js";
import { MGMT_NS } from "./paths.js";
import { addAddress, createVeth, ipIn, setLinkUp } from "./netns.js";
import { MGMT_IFACE } from "./naming.js";
import { CONTROLLER_ADDRESS } from "./endpoint.js";

export const MGMT_PREFIX = "fd00:ca:fe::/64";
export const MGMT_PREFIX_LEN = 64;
/** Name of the root namespace's veth into the management bridge. */
export const ROOT_MGMT_LINK = "cairn-mgmt";
export const MGMT_BRIDGE = "br0";
const ROOT_PORT = "root";

/** Management address of the host with index i in topology.hosts: fd00:ca:fe::<0x100 + i>. */
export function mgmtHostAddress(hostIndex: number): string {
  return addressInPrefix(parsePrefix(MGMT_PREFIX)!, 0x100 + hostIndex);
}

/** Bridge port (in cairn-mgmt) of the host with index i. */
export function mgmtPortName(hostIndex: number): string {
  return `h${hostIndex}`;
}

/** Creates the bridge in the (existing) cairn-mgmt namespace. */
export async function createMgmtBridge(): Promise<void> {
  await ipIn(MGMT_NS, ["link", "add", MGMT_BRIDGE, "type", "bridge", "stp_state", "0", "mcast_snooping", "0"]);
  await setLinkUp(MGMT_NS, MGMT_BRIDGE);
}

/** Connects a host namespace to the bridge with mgmt0 = address/64 (nodad). */
export async function attachHostToMgmt(hostNs: string, hostIndex: number, address: string): Promise<void> {
  const port = mgmtPortName(hostIndex);
  await createVeth({ ns: hostNs, name: MGMT_IFACE }, { ns: MGMT_NS, name: port });
  await ipIn(MGMT_NS, ["link", "set", port, "master", MGMT_BRIDGE]);
  await setLinkUp(MGMT_NS, port);
  await addAddress(hostNs, MGMT_IFACE, `${address}/${MGMT_PREFIX_LEN}`);
  await setLinkUp(hostNs, MGMT_IFACE);
}

/** Creates the root namespace's veth "cairn-mgmt" (fd00:ca:fe::1/64) into the bridge. */
export async function attachRootToMgmt(): Promise<void> {
  await createVeth({ ns: null, name: ROOT_MGMT_LINK }, { ns: MGMT_NS, name: ROOT_PORT });
  await ipIn(MGMT_NS, ["link", "set", ROOT_PORT, "master", MGMT_BRIDGE]);
  await setLinkUp(MGMT_NS, ROOT_PORT);
  await addAddress(null, ROOT_MGMT_LINK, `${CONTROLLER_ADDRESS}/${MGMT_PREFIX_LEN}`);
  await setLinkUp(null, ROOT_MGMT_LINK);
}
