// The fleet's credentials: a real CA and controller certificate (`initAuthority`), an operator
// (`issueCertificate`), and one client certificate per simulated agent (CN = host, OU = agent, the
// client profile of `cairn certs`). issueCertificate takes ~110 ms a certificate here (three openssl
// runs, a directory lock, issued.yaml rewritten each time: 10,000 would take 20 minutes), so agents'
// certificates are made by one `openssl req -x509 -CA` run each (key, subject, extensions and CA
// signature at once), several at a time, in DIR/fleet-agents/, and the directory is kept between
// runs, keyed by the number of hosts. They are not in issued.yaml: `cairn certs list` won't show them.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { initAuthority, issueCertificate } from "../certs/index.js";
import { EXTENSIONS_SECTION, opensslConfig } from "../certs/openssl-config.js";

const run = promisify(execFile);

export interface FleetCredentials {
  dir: string;
  caPem: string;
  operator: { cert: string; key: string };
  /** PEM paths of host's certificate and key. */
  agentFiles(host: string): { cert: string; key: string };
  /** ms spent issuing now (0: taken from the cache). */
  issuedMs: number;
  issued: number;
}

const AGENTS = "fleet-agents";
const DONE = "fleet-complete";

export function defaultCacheDir(hosts: number): string {
  return join(process.env.CAIRN_FLEET_CACHE ?? join(tmpdir(), "cairn-fleet-pki"), `n${hosts}`);
}

async function issueAgent(dir: string, host: string): Promise<void> {
  const out = join(dir, AGENTS);
  // An explicit random serial: the revocation list names certificates by serial.
  await run("openssl", [
    "req", "-new", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
    "-keyout", join(out, `${host}.key`), "-out", join(out, `${host}.crt`),
    "-subj", `/OU=agent/CN=${host}`, "-days", "30", "-set_serial", `0x${randomBytes(12).toString("hex")}`,
    "-CA", join(dir, "ca.crt"), "-CAkey", join(dir, "ca.key"),
    "-config", join(out, "openssl.cnf"), "-extensions", EXTENSIONS_SECTION,
  ], { env: { ...process.env, LC_ALL: "C" } });
}

/** The credential directory for `hosts` (h1…hN), made or completed as needed. */
export async function fleetCredentials(hosts: string[], dir = defaultCacheDir(hosts.length), parallel = cpus().length * 2): Promise<FleetCredentials> {
  const t0 = performance.now();
  let issued = 0;
  if (!existsSync(join(dir, DONE))) {
    await rm(dir, { recursive: true, force: true });
    await mkdir(join(dir, ".."), { recursive: true });
    await initAuthority(dir, { addresses: ["127.0.0.1", "::1"], dnsNames: ["localhost"] });
    await issueCertificate(dir, { kind: "operator", name: "fleet-sim", role: "viewer" });
    await mkdir(join(dir, AGENTS), { mode: 0o700 });
    await writeFile(join(dir, AGENTS, "openssl.cnf"), opensslConfig("client"), { mode: 0o600 });
    let next = 0;
    const workers = Array.from({ length: Math.max(1, parallel) }, async () => {
      while (next < hosts.length) await issueAgent(dir, hosts[next++]!);
    });
    await Promise.all(workers);
    issued = hosts.length;
    await writeFile(join(dir, DONE), `${hosts.length}\n`);
  }
  return {
    dir,
    caPem: await readFile(join(dir, "ca.crt"), "utf8"),
    operator: { cert: await readFile(join(dir, "operators", "fleet-sim.crt"), "utf8"), key: await readFile(join(dir, "operators", "fleet-sim.key"), "utf8") },
    agentFiles: (host) => ({ cert: join(dir, AGENTS, `${host}.crt`), key: join(dir, AGENTS, `${host}.key`) }),
    issuedMs: issued > 0 ? performance.now() - t0 : 0,
    issued,
  };
}
