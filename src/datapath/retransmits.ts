// Loads retransmits.bpf.o and attaches its program to the tcp_retransmit_skb tracepoint as a raw
// tracepoint (bpf_program__attach: a link owned by this process, so it goes when the agent does;
// nothing is pinned, and no tracefs is needed). The agent polls the ring through read(); see
// retransmits.h.
import { statSync } from "node:fs";
import * as bpf from "./libbpf.js";
import { RETX_MAPS, RETX_PROGRAM, RetxRingReader, decodeU64, encodeRetxConfig, type RetransmitEvent, type RetxMapName } from "./retransmit-layout.js";
import { encodeU32 } from "./layout.js";
import { packageFile } from "../package-files.js";

export const DEFAULT_RETX_OBJECT_PATH = packageFile("src", "datapath", "retransmits.bpf.o");

export interface RetransmitRingOptions {
  /** Defaults to src/datapath/retransmits.bpf.o of this checkout. */
  objectPath?: string;
  /**
   * Inode of the network namespace whose sockets count (the tracepoint sees every namespace's);
   * default: this process's; 0: every namespace.
   */
  netns?: number;
}

export interface RetransmitRing {
  /** Events appended since the last read (or skip), and how many were overwritten unread. */
  read(): { events: RetransmitEvent[]; lost: number };
  /** Forgets the events so far. */
  skip(): void;
  /** The namespace it watches (0: all). */
  readonly netns: number;
  /** Detaches the program and frees the object. */
  close(): void;
}

/** Inode of this process's network namespace (what ns.inum of its sockets' struct net is). */
export function ownNetns(): number {
  return statSync("/proc/self/ns/net").ino;
}

export function openRetransmitRing(opts: RetransmitRingOptions = {}): RetransmitRing {
  const netns = opts.netns ?? ownNetns();
  const obj = bpf.openObjectFile(opts.objectPath ?? DEFAULT_RETX_OBJECT_PATH);
  let link: bpf.BpfLink | null = null;
  try {
    bpf.loadObject(obj);
    const fd = (name: RetxMapName) => bpf.mapFd(bpf.findMap(obj, name));
    const [ring, head, config] = [fd("cairn_retx_ring"), fd("cairn_retx_head"), fd("cairn_retx_config")];
    const zero = encodeU32(0);
    // The filter is in place before the program runs at all.
    bpf.mapUpdate(config, zero, encodeRetxConfig({ netns }));
    link = bpf.programAttach(bpf.findProgram(obj, RETX_PROGRAM), "raw tracepoint tcp_retransmit_skb");
    const reader = new RetxRingReader(
      () => decodeU64(bpf.mapLookup(head, zero, RETX_MAPS.cairn_retx_head.valueSize)!),
      (slot) => bpf.mapLookup(ring, encodeU32(slot), RETX_MAPS.cairn_retx_ring.valueSize)!,
    );
    reader.skip();
    let closed = false;
    const attached = link;
    return {
      netns,
      read: () => reader.read(),
      skip: () => reader.skip(),
      close() {
        if (closed) return;
        closed = true;
        try {
          bpf.linkDestroy(attached);
        } finally {
          bpf.closeObject(obj);
        }
      },
    };
  } catch (err) {
    if (link) bpf.linkDestroy(link);
    bpf.closeObject(obj);
    throw err;
  }
}
