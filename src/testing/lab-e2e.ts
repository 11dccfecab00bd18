// What the lab's end-to-end tests share: the repository, the CLI they run, the demo lab's files and
// h2's address, and why they skip without root.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export const run = promisify(execFile);
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const CLI = join(ROOT, "dist/cli/main.js");
/** A file of the demo lab (examples/demo). */
export const EXAMPLE = (f: string) => join(ROOT, "examples/demo", f);
/** h2's address in the demo lab. */
export const H2 = "2001:db8:2::10";
/** Why a lab test skips (not root), or false. */
export const LAB_SKIP: string | false = process.getuid?.() !== 0 ? "needs root: creates network namespaces, runs FRR and loads eBPF programs" : false;

/**
 * The lab tests' steered app: video from h1 to h2 (UDP 5000-5100), lowest latency with a link-disjoint
 * backup; in the demo topology its primary is r1 > r2 > r3 > r4. One item of an `intents:` list.
 */
export const VIDEO_INTENT = `  - name: video
    match: { hosts: [h1], app: video, to: h2, protocol: udp, ports: ["5000-5100"] }
    objective: latency
    protection: link
`;
