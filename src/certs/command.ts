// `cairn certs ...`: the CLI face of authority.ts. Prints what was made and where; --json for scripts.
import { resolve } from "node:path";
import { CliError } from "../cli/errors.js";
import { renderTable } from "../cli/table.js";
import {
  createToken,
  initAuthority,
  issueCertificate,
  listCredentials,
  revoke,
  writeOperatorConfig,
  type CertificateInfo,
  type IssueTarget,
  type RevokeTarget,
  type Validity,
} from "./authority.js";
import { CredentialError } from "./fs-util.js";

/** CredentialError → CliError, so bad input exits 2 with the message and nothing else. */
async function cli<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof CredentialError) throw new CliError(e.message, e.exitCode);
    throw e;
  }
}

const bad = (message: string) => new CliError(message, 2);

function describe(c: CertificateInfo): string {
  const who = c.kind === "ca" ? `CA "${c.name}"` : c.kind === "server" ? `server certificate for ${c.name}` : `${c.kind} ${c.name}${c.role && c.kind === "operator" ? ` (${c.role})` : ""}`;
  return `${who}: ${c.certPath}, key ${c.keyPath}\n  serial ${c.serial}, valid until ${c.notAfter}, SHA-256 ${c.fingerprint256}`;
}

export interface InitCommandOptions {
  days?: number;
  caDays?: number;
  serverName: string[];
  serverAddress: string[];
  force?: boolean;
  json?: boolean;
}

export async function certsInitCommand(dir: string, o: InitCommandOptions): Promise<void> {
  // openssl runs in a scratch directory: a relative DIR would name the wrong place there.
  dir = resolve(dir);
  const r = await cli(() =>
    initAuthority(dir, {
      ...(o.days !== undefined ? { days: o.days } : {}),
      ...(o.caDays !== undefined ? { caDays: o.caDays } : {}),
      dnsNames: o.serverName,
      addresses: o.serverAddress,
      ...(o.force ? { force: true } : {}),
    }),
  );
  if (o.json) {
    console.log(JSON.stringify(r, null, 2));
    return;
  }
  if (r.replacedTo) console.log(`moved the old CA and everything it issued to ${r.replacedTo}`);
  console.log(`created ${describe(r.ca)}`);
  console.log(`created ${describe(r.server)}`);
  console.log(`next: \`cairn certs issue ${dir} --agent HOST\`, \`cairn certs issue ${dir} --operator NAME --role admin\`, \`cairn certs token ${dir} --name NAME --role viewer\``);
  console.log(`keep ${dir}/ca.key off the controller if you can: the controller needs only ca.crt, server.crt, server.key, tokens.yaml and revoked.yaml`);
}

export interface IssueCommandOptions {
  agent?: string;
  operator?: string;
  server?: boolean;
  role?: string;
  days?: number;
  notBefore?: string;
  notAfter?: string;
  serverName: string[];
  serverAddress: string[];
  json?: boolean;
}

function parseTime(flag: string, v: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:\d{2}))?$/.test(v) ? Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v) : NaN;
  if (Number.isNaN(ms)) throw bad(`${flag} takes a date or time like 2026-01-31 or 2026-01-31T12:00:00Z, got "${v}"`);
  return ms;
}

export async function certsIssueCommand(dir: string, o: IssueCommandOptions): Promise<void> {
  dir = resolve(dir);
  const kinds = [o.agent !== undefined, o.operator !== undefined, o.server === true].filter(Boolean).length;
  if (kinds !== 1) throw bad("give one of --agent HOST, --operator NAME --role viewer|admin, --server");
  if (o.agent !== undefined && o.role !== undefined && o.role !== "agent") throw bad("an agent's role is agent; --role is for --operator");
  if (o.server && o.role !== undefined) throw bad("--role is for --operator");
  if (o.operator !== undefined && o.role === undefined) throw bad("--operator needs --role viewer or --role admin");
  if (!o.server && (o.serverName.length > 0 || o.serverAddress.length > 0)) throw bad("--server-name and --server-address are for --server");
  if ((o.notBefore === undefined) !== (o.notAfter === undefined)) throw bad("--not-before and --not-after go together");
  if (o.notBefore !== undefined && o.days !== undefined) throw bad("--days or --not-before/--not-after, not both");
  const validity: Validity =
    o.notBefore !== undefined ? { notBeforeMs: parseTime("--not-before", o.notBefore), notAfterMs: parseTime("--not-after", o.notAfter!) } : o.days !== undefined ? { days: o.days } : {};
  const target: IssueTarget =
    o.agent !== undefined
      ? { kind: "agent", name: o.agent }
      : o.operator !== undefined
        ? { kind: "operator", name: o.operator, role: o.role! }
        : { kind: "server", dnsNames: o.serverName, addresses: o.serverAddress };
  const r = await cli(() => issueCertificate(dir, target, validity));
  if (o.json) {
    console.log(JSON.stringify(r, null, 2));
    return;
  }
  console.log(`issued ${describe(r.certificate)}`);
  if (r.replaced && !r.replaced.revoked) {
    console.log(`it replaces serial ${r.replaced.serial}, which stays valid until ${r.replaced.notAfter}: \`cairn certs revoke ${dir} --serial ${r.replaced.serial}\` once the new one is in place`);
  }
}

export async function certsTokenCommand(dir: string, o: { name: string; role: string; days?: number; force?: boolean; json?: boolean }): Promise<void> {
  dir = resolve(dir);
  const r = await cli(() => createToken(dir, { name: o.name, role: o.role, ...(o.days !== undefined ? { days: o.days } : {}), ...(o.force ? { force: true } : {}) }));
  const expires = new Date(r.record.expiresMs).toISOString().replace(/\.000Z$/, "Z");
  if (o.json) {
    console.log(JSON.stringify({ token: r.token, name: r.record.name, role: r.record.role, expires, replaced: r.replaced }, null, 2));
    return;
  }
  // The token alone on stdout, so TOKEN=$(cairn certs token ...) works; the rest on stderr.
  console.log(r.token);
  console.error(`${r.replaced ? "replaced" : "created"} ${r.record.role} token "${r.record.name}", valid until ${expires}; it is shown only this once (${dir}/tokens.yaml keeps its SHA-256)`);
}

export async function certsRevokeCommand(dir: string, o: { agent?: string; operator?: string; serial?: string; token?: string; json?: boolean }): Promise<void> {
  dir = resolve(dir);
  const given = (["agent", "operator", "serial", "token"] as const).filter((k) => o[k] !== undefined);
  if (given.length !== 1) throw bad("give one of --agent HOST, --operator NAME, --serial HEX, --token NAME");
  const k = given[0]!;
  const target = { [k]: o[k]! } as RevokeTarget;
  const r = await cli(() => revoke(dir, target));
  if (o.json) {
    console.log(JSON.stringify(r, null, 2));
    return;
  }
  for (const c of r.certificates) console.log(`revoked ${c.kind} ${c.name} certificate, serial ${c.serial}`);
  for (const t of r.tokens) console.log(`revoked token "${t}"`);
  for (const a of r.already) console.log(`${a} was already revoked`);
  if (r.certificates.length + r.tokens.length > 0) console.log(`${dir}/revoked.yaml updated; a running controller reads it within seconds`);
}

export async function certsListCommand(dir: string, o: { json?: boolean }): Promise<void> {
  dir = resolve(dir);
  const r = await cli(() => listCredentials(dir));
  if (o.json) {
    console.log(JSON.stringify(r, null, 2));
    return;
  }
  console.log(
    renderTable(
      ["KIND", "NAME", "ROLE", "SERIAL", "NOT AFTER", "STATUS"],
      r.certificates.map((c) => [c.kind, c.name, c.role ?? "-", c.serial, c.notAfter, c.status + (c.current ? "" : " (replaced)")]),
    ),
  );
  if (r.tokens.length > 0) {
    console.log("");
    console.log(renderTable(["TOKEN", "ROLE", "CREATED", "EXPIRES", "STATUS"], r.tokens.map((t) => [t.name, t.role, t.created, t.expires, t.status])));
  }
}

export async function certsConfigCommand(dir: string, o: { operator: string; controller: string; out?: string; force?: boolean; json?: boolean }): Promise<void> {
  dir = resolve(dir);
  const r = await cli(() => writeOperatorConfig(dir, { name: o.operator, controller: o.controller, ...(o.out ? { out: o.out } : {}), ...(o.force ? { force: true } : {}) }));
  if (o.json) {
    console.log(JSON.stringify(r, null, 2));
    return;
  }
  if (r.path) console.log(`wrote ${r.path}; the CLI uses it with --config ${r.path} or CAIRN_CONFIG=${r.path}`);
  else process.stdout.write(r.text);
}
