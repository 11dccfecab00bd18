// --etcd URL… [--etcd-ca FILE --etcd-cert FILE --etcd-key FILE --etcd-lease-ttl S]: the replicas' store, checked
// before anything starts (bad flags exit 2 with the reason). Username/password authentication is taken
// from $CAIRN_ETCD_USER and $CAIRN_ETCD_PASSWORD, never from the command line.
import { readFile } from "node:fs/promises";
import { CliError, EXIT_BAD_INPUT } from "../../cli/errors.js";
import { EtcdStore } from "./etcd-store.js";

export interface EtcdFlags {
  etcd?: string[];
  etcdCa?: string;
  etcdCert?: string;
  etcdKey?: string;
  etcdLeaseTtl?: number;
}

const bad = (m: string) => new CliError(m, EXIT_BAD_INPUT);

/** The endpoints of --etcd (repeatable, comma lists), each an http:// or https:// URL with a host and port. */
export function parseEtcdEndpoints(given: string[]): string[] {
  const out: string[] = [];
  for (const part of given.flatMap((g) => g.split(","))) {
    const text = part.trim();
    if (text === "") continue;
    let u: URL;
    try {
      u = new URL(text);
    } catch {
      throw bad(`--etcd ${text}: not a URL; expected e.g. http://127.0.0.1:2379`);
    }
    if (u.protocol !== "http:" && u.protocol !== "https:") throw bad(`--etcd ${text}: etcd client URLs are http:// or https://`);
    if (!u.port) throw bad(`--etcd ${text}: give the port (etcd's client port, 2379 by default)`);
    if (u.pathname !== "/" || u.search || u.username) throw bad(`--etcd ${text}: only scheme, host and port, no path, query or credentials`);
    out.push(`${u.protocol}//${u.host}`);
  }
  if (given.length > 0 && out.length === 0) throw bad("--etcd: no URL given");
  const schemes = new Set(out.map((u) => u.split(":")[0]));
  if (schemes.size > 1) throw bad("--etcd: all URLs http:// or all https://, not both");
  return out;
}

async function pem(flag: string, file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (e) {
    throw bad(`${flag} ${file}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`);
  }
}

/** The store the flags ask for; null without --etcd. */
export async function etcdStoreFromFlags(f: EtcdFlags, log: (line: string) => void): Promise<EtcdStore | null> {
  const endpoints = parseEtcdEndpoints(f.etcd ?? []);
  const tlsFlags = (["etcdCa", "etcdCert", "etcdKey"] as const).filter((k) => f[k] !== undefined);
  if (endpoints.length === 0) {
    if (tlsFlags.length > 0 || f.etcdLeaseTtl !== undefined) throw bad("--etcd-ca, --etcd-cert, --etcd-key and --etcd-lease-ttl go with --etcd URL");
    return null;
  }
  const https = endpoints[0]!.startsWith("https:");
  if (!https && tlsFlags.length > 0) throw bad("--etcd-ca, --etcd-cert and --etcd-key need https:// --etcd URLs");
  if (https && f.etcdCa === undefined) throw bad("https:// --etcd URLs need --etcd-ca FILE (the CA of etcd's server certificate)");
  if ((f.etcdCert === undefined) !== (f.etcdKey === undefined)) throw bad("--etcd-cert and --etcd-key go together");
  if (f.etcdLeaseTtl !== undefined && (f.etcdLeaseTtl < 1 || f.etcdLeaseTtl > 60)) throw bad(`--etcd-lease-ttl must be between 1 and 60 seconds, got ${f.etcdLeaseTtl}`);
  const user = process.env["CAIRN_ETCD_USER"];
  const password = process.env["CAIRN_ETCD_PASSWORD"];
  return new EtcdStore({
    endpoints,
    log,
    ...(https ? { tls: { ca: await pem("--etcd-ca", f.etcdCa!), ...(f.etcdCert ? { cert: await pem("--etcd-cert", f.etcdCert), key: await pem("--etcd-key", f.etcdKey!) } : {}) } } : {}),
    ...(user ? { auth: { username: user, password: password ?? "" } } : {}),
    ...(f.etcdLeaseTtl !== undefined ? { leaseTtlSeconds: f.etcdLeaseTtl } : {}),
  });
}
