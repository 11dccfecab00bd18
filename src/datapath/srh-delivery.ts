// Lets this network namespace accept packets that carry an SRH.
// ipv6_srh_rcv() (net/ipv6/exthdrs.c) takes accept_seg6 = min(all.seg6_enabled,
// <dev>.seg6_enabled) for the receiving device and drops the packet when it is 0, before
// it even looks at segments_left, so a final destination needs both set even though its
// SRH has segments_left 0. /proc/sys/net follows the caller's network namespace.
import { writeFileSync } from "node:fs";

export function enableSrhDelivery(ifname: string): void {
  if (!/^[^/\s]{1,15}$/.test(ifname) || ifname === "." || ifname === "..") {
    throw new Error(`invalid interface name: ${JSON.stringify(ifname)}`);
  }
  for (const conf of ["all", ifname]) writeFileSync(`/proc/sys/net/ipv6/conf/${conf}/seg6_enabled`, "1\n");
}
