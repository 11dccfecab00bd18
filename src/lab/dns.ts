// The lab's DNS server: dnsmasq in the management namespace, with no upstream servers, answering only
// from a hosts file the lab owns. Records change by rewriting that file and sending dnsmasq SIGHUP.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, statSync, writeFileSync } from "node:fs";
import { promises as dns } from "node:dns";
import { dirname, join } from "node:path";
import { DNS_ADDRESS, DNS_PORT, LAB_DNS_SERVER } from "./endpoint.js";
import { MGMT_BRIDGE, MGMT_PREFIX_LEN } from "./mgmt.js";
import { addAddress } from "./netns.js";
import { LAB_DIR, LOG_DIR, MGMT_NS } from "./paths.js";
import { processAlive, spawnInNamespace } from "./procs.js";
import { readState, type LabProcess } from "./state.js";
import { dnsRecord, formatHostsFile, normaliseDnsName, parseHostsFile, type DnsRecord } from "./dns-records.js";

export type { DnsRecord };
/** TTL of every answer, short so that a changed record is seen within a second or two. */
export const DNS_TTL_S = 1;
export const DNS_DIR = join(LAB_DIR, "dns");
export const DNS_HOSTS_FILE = join(DNS_DIR, "hosts");
export const DNSMASQ = "/usr/sbin/dnsmasq";
const DNS_ROLE = "dnsmasq";
const RELOAD_TIMEOUT_MS = 5000;

export function checkDnsmasqInstalled(): void {
  if (!existsSync(DNSMASQ)) throw new Error(`${DNSMASQ} not found: install dnsmasq (apt-get install dnsmasq-base)`);
}

/** dnsmasq in the foreground (so its pid is the one recorded), reading no system file, serving only the lab's hosts file. */
export function dnsmasqArgv(): string[] {
  return [
    DNSMASQ,
    "--keep-in-foreground",
    "--conf-file=/dev/null",
    "--no-resolv",
    "--no-hosts",
    "--no-poll",
    `--addn-hosts=${DNS_HOSTS_FILE}`,
    `--local-ttl=${DNS_TTL_S}`,
    // Every name is local: unknown names get NXDOMAIN, never a forwarded query.
    "--local=/#/",
    `--listen-address=${DNS_ADDRESS}`,
    "--bind-interfaces",
    `--port=${DNS_PORT}`,
    `--pid-file=${join(DNS_DIR, "dnsmasq.pid")}`,
    "--log-facility=-",
    "--log-queries",
  ];
}

/** Atomically (temp file + rename). World-readable, whatever the umask: dnsmasq reads it after dropping its privileges. */
function writeHostsFile(records: DnsRecord[]): void {
  mkdirSync(DNS_DIR, { recursive: true });
  for (const dir of [dirname(LAB_DIR), LAB_DIR, DNS_DIR]) chmodSync(dir, 0o755);
  const tmp = `${DNS_HOSTS_FILE}.${process.pid}.tmp`;
  writeFileSync(tmp, formatHostsFile(records));
  chmodSync(tmp, 0o644);
  renameSync(tmp, DNS_HOSTS_FILE);
}

/** True once the server answers a query (any DNS answer, NXDOMAIN included). */
async function dnsServerAnswers(): Promise<boolean> {
  const resolver = new dns.Resolver({ timeout: 200, tries: 1 });
  resolver.setServers([LAB_DNS_SERVER]);
  try {
    await resolver.resolve6("ready.invalid");
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === "ENOTFOUND" || code === "ENODATA";
  }
}

function logTail(file: string | undefined): string {
  try {
    return readFileSync(file ?? "", "utf8").trim().split("\n").slice(-5).join("\n");
  } catch {
    return "(no log)";
  }
}

/**
 * Starts the lab's DNS server (recorded in the lab state) with an empty hosts file, on its own address
 * on the management bridge; resolves once it answers. The management network must be up.
 */
export async function startDnsServer(timeoutMs = 10_000): Promise<LabProcess> {
  writeHostsFile([]);
  await addAddress(MGMT_NS, MGMT_BRIDGE, `${DNS_ADDRESS}/${MGMT_PREFIX_LEN}`);
  const p = spawnInNamespace(MGMT_NS, dnsmasqArgv(), { role: DNS_ROLE, node: null, logFile: join(LOG_DIR, "dnsmasq.log") });
  const end = Date.now() + timeoutMs;
  while (!(await dnsServerAnswers())) {
    if (p.pid === null || !processAlive(p.pid, p.startTime)) throw new Error(`dnsmasq exited; last lines of ${p.logFile}:\n${logTail(p.logFile)}`);
    if (Date.now() > end) throw new Error(`dnsmasq did not answer on ${LAB_DNS_SERVER} within ${timeoutMs / 1000} s (see ${p.logFile})`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return p;
}

/** The lab's running DNS server, or null. */
export function runningDnsServer(): LabProcess | null {
  const p = readState()?.processes.find((x) => x.role === DNS_ROLE);
  return p && p.pid !== null && processAlive(p.pid, p.startTime) ? p : null;
}

/** The records in the lab's hosts file, sorted by name; none when no lab is up. */
export function listDnsRecords(): DnsRecord[] {
  try {
    return parseHostsFile(readFileSync(DNS_HOSTS_FILE, "utf8"));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
}

/** Sets the addresses (AAAA and A records) of `name`, replacing any it had; resolves once dnsmasq serves them. */
export async function setDnsRecords(name: string, addresses: string[]): Promise<DnsRecord> {
  const record = dnsRecord(name, addresses);
  await rewriteRecords((records) => [...records.filter((r) => r.name !== record.name), record]);
  return record;
}

/** Removes every record of `name`; throws when it has none. Resolves once dnsmasq no longer serves it. */
export async function removeDnsRecords(name: string): Promise<void> {
  const n = normaliseDnsName(name);
  await rewriteRecords((records) => {
    if (!records.some((r) => r.name === n)) throw new Error(`no DNS record named ${n} (\`cairn lab dns list\` shows them)`);
    return records.filter((r) => r.name !== n);
  });
}

async function rewriteRecords(change: (records: DnsRecord[]) => DnsRecord[]): Promise<void> {
  const server = runningDnsServer();
  if (!server) throw new Error("the lab's DNS server is not running (is the lab up? `cairn lab status` shows it)");
  writeHostsFile(change(listDnsRecords()));
  await reload(server);
}

/** SIGHUP, then waits until dnsmasq logs that it re-read the hosts file. */
async function reload(server: LabProcess): Promise<void> {
  const log = server.logFile!;
  const from = statSync(log).size;
  process.kill(server.pid!, "SIGHUP");
  const done = `read ${DNS_HOSTS_FILE} - `;
  const end = Date.now() + RELOAD_TIMEOUT_MS;
  while (!readFrom(log, from).includes(done)) {
    if (Date.now() > end) throw new Error(`dnsmasq did not re-read ${DNS_HOSTS_FILE} within ${RELOAD_TIMEOUT_MS / 1000} s (see ${log})`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function readFrom(file: string, offset: number): string {
  const fd = openSync(file, "r");
  try {
    const size = statSync(file).size;
    const buf = Buffer.alloc(Math.max(0, size - offset));
    readSync(fd, buf, 0, buf.length, offset);
    return buf.toString("utf8");
  } finally {
    closeSync(fd);
  }
}
