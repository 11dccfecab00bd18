// The lab's credentials: a CA per lab, the controller's certificate (for its management address and
// loopback), one agent certificate per host, and an admin operator whose CLI config `cairn` reads by
// default in the root namespace. Everything secret is root's, in 0700 directories; app processes run
// as an unprivileged user (lab exec --app) and cannot read it. The CA certificate alone is public.
import { copyFile, chmod, readFile } from "node:fs/promises";
import { join } from "node:path";
import { createOperatorClient, type OperatorClient } from "../api/client.js";
import type { ClientCredentials } from "../api/credentials.js";
import { credentialPaths, initAuthority, issueCertificate, writeOperatorConfig } from "../certs/index.js";
import { LAB_OPERATOR_CONFIG } from "../cli/config.js";
import { CONTROLLER_ADDRESS, LAB_CONTROLLER_URL } from "./endpoint.js";
import { LAB_DIR } from "./paths.js";

export const LAB_PKI_DIR = join(LAB_DIR, "pki");
/** A world-readable copy of the lab CA's certificate: anyone may check the controller's identity. */
export const LAB_CA_CERT = join(LAB_DIR, "ca.crt");
export const LAB_ADMIN = "lab-admin";
export { LAB_OPERATOR_CONFIG };

/** A fresh CA (replacing an older lab's), the controller's and every host agent's certificate, and the admin's CLI config. */
export async function createLabPki(hosts: readonly string[]): Promise<void> {
  await initAuthority(LAB_PKI_DIR, { addresses: [CONTROLLER_ADDRESS, "::1", "127.0.0.1"], dnsNames: ["localhost"], force: true, days: 30 });
  for (const host of hosts) await issueCertificate(LAB_PKI_DIR, { kind: "agent", name: host }, { days: 30 });
  await issueCertificate(LAB_PKI_DIR, { kind: "operator", name: LAB_ADMIN, role: "admin" }, { days: 30 });
  await writeOperatorConfig(LAB_PKI_DIR, { name: LAB_ADMIN, controller: LAB_CONTROLLER_URL, out: LAB_OPERATOR_CONFIG, force: true });
  await copyFile(credentialPaths(LAB_PKI_DIR, "ca").cert, LAB_CA_CERT);
  await chmod(LAB_CA_CERT, 0o644);
}

/** The agent's TLS options for `cairn agent`. */
export function labAgentTlsArgs(host: string): string[] {
  const own = credentialPaths(LAB_PKI_DIR, "agent", host);
  return ["--ca", credentialPaths(LAB_PKI_DIR, "ca").cert, "--cert", own.cert, "--key", own.key];
}

/** The credentials of an operator the lab (or a test) issued in the lab's CA. */
export async function labOperatorCredentials(name = LAB_ADMIN): Promise<ClientCredentials> {
  const own = credentialPaths(LAB_PKI_DIR, "operator", name);
  const [ca, cert, key] = await Promise.all([readFile(LAB_CA_CERT, "utf8"), readFile(own.cert, "utf8"), readFile(own.key, "utf8")]);
  return { ca, cert, key };
}

/** An operator client of the lab's controller, as `name` (default the lab's admin). Close it after use. */
export async function labOperatorClient(name = LAB_ADMIN): Promise<OperatorClient> {
  return createOperatorClient(LAB_CONTROLLER_URL, { credentials: await labOperatorCredentials(name) });
}
