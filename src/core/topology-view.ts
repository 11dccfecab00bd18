// What `cairn topology show` shows: the topology with the SIDs its routers get (core/sids.ts). Pure.
import type { Host, Link, ServiceFunction, Topology } from "./model.js";
import { DEFAULT_LINK_MTU } from "./model.js";

/** A GraphML router's node in its file (config/graphml.ts's GraphmlOrigin). */
export interface NodeOrigin {
  id: string;
  label: string;
  latitude: number;
  longitude: number;
}

export interface RouterView {
  name: string;
  locator: string;
  endSid: string;
  region?: string;
  msd?: number;
  latitude?: number;
  longitude?: number;
  graphml?: NodeOrigin;
}

/** A host as the model has it, its End.DX4 SID (dual-stack hosts) included. */
export type HostView = Host;

/** A link with every field of the model: `reverse` (b→a's metrics) only where they differ from a→b's. */
export interface LinkView extends Omit<Link, "mtu"> {
  /** The link's MTU, its default when the file gives none. */
  mtu: number;
  /** The End.X SID each end uses for this link: a's towards b, b's towards a. */
  endXSids: { a: string; b: string };
}

export interface TopologyView {
  routers: RouterView[];
  hosts: HostView[];
  links: LinkView[];
  services: ServiceFunction[];
}

/** `origins`: GraphML only, one per router in topology order. */
export function topologyView(t: Topology, origins?: readonly NodeOrigin[]): TopologyView {
  return {
    routers: t.routers.map((r, i) => {
      const origin = origins?.[i];
      return {
        name: r.name,
        locator: r.locator,
        endSid: r.sid,
        ...(r.region !== undefined ? { region: r.region } : {}),
        ...(r.msd !== undefined ? { msd: r.msd } : {}),
        ...(r.latitude !== undefined && r.longitude !== undefined ? { latitude: r.latitude, longitude: r.longitude } : {}),
        ...(origin ? { graphml: { ...origin } } : {}),
      };
    }),
    hosts: t.hosts.map((h) => ({ ...h })),
    links: t.links.map((l) => ({
      ...l,
      ...(l.reverse ? { reverse: { ...l.reverse } } : {}),
      srlgs: [...l.srlgs],
      colors: [...l.colors],
      mtu: l.mtu ?? DEFAULT_LINK_MTU,
      endXSids: { a: l.sidA, b: l.sidB },
    })),
    services: t.services.map((s) => ({ name: s.name, instances: s.instances.map((x) => ({ ...x })) })),
  };
}
