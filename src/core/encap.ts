// IPv4 over SRv6: the host encapsulates (H.Encaps: outer IPv6 + SRH) and the egress router's End.DX4
// SID decapsulates and hands the packet to the destination host. Pure.
import type { Path, PathResult, Segment, Topology } from "./model.js";

/** The End.DX4 segment that delivers IPv4 to the host with index `hostIndex` in topology.hosts, on its router. */
export function dx4Segment(topology: Topology, hostIndex: number): Segment {
  const host = topology.hosts[hostIndex];
  if (!host?.dx4Sid) throw new Error(`no dual-stack host ${hostIndex} in the topology (should have been validated)`);
  return { sid: host.dx4Sid, node: host.router, behavior: "End.DX4" };
}

/**
 * The path an encapsulated IPv4 packet takes: the same segments, then `dx4`. The DX4 SID is the SRH's
 * last entry (there is no separate final destination), so the SRH holds as many entries as the IPv6
 * path's (its segments + the destination): the path engine's msd check holds for both.
 */
export function encapsulatedPath(path: Path, dx4: Segment): Path {
  const segments = [...path.segments, dx4];
  return { ...path, segments, srhBytes: 8 + 16 * segments.length };
}

/** `encapsulatedPath` over a result: primary and backup; a failure stays as it is. */
export function encapsulated(result: PathResult, dx4: Segment): PathResult {
  if (!result.ok) return result;
  return { ...result, path: encapsulatedPath(result.path, dx4), backup: result.backup && encapsulatedPath(result.backup, dx4) };
}
