// Intents YAML → Intent[], validated against a topology; every error located.
import type { Intent, Objective, PortRange, Protocol, Topology } from "../core/model.js";
import { APP_NAME, OBJECTIVES, PROTOCOL_NUMBERS } from "../core/model.js";
import { formatPrefix, parsePrefix } from "../core/ipv6.js";
import { parseDurationUs } from "../core/units.js";
import type { ParseResult } from "./errors.js";
import { Field, YamlReader, required } from "./yaml-reader.js";

export const INTENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
export const DEFAULT_OBJECTIVE: Objective = "latency";

function stringList(f: Field | undefined): { value: string; field: Field }[] {
  if (!f?.present) return [];
  const items = f.list();
  if (!items) return [];
  return items.flatMap((i) => {
    const v = i.string();
    return v === null ? [] : [{ value: v, field: i }];
  });
}

function parsePorts(f: Field | undefined): PortRange[] {
  if (!f?.present) return [];
  const out: PortRange[] = [];
  for (const item of f.list() ?? []) {
    const text = item.string();
    if (text === null) continue;
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text.trim());
    const from = m ? Number(m[1]) : NaN;
    const to = m ? Number(m[2] ?? m[1]) : NaN;
    if (!m || from > 65535 || to > 65535) item.error(`"${text}" is not a port or port range (e.g. 443 or "5000-5100", ports 0-65535)`);
    else if (from > to) item.error(`port range "${text}" runs backwards`);
    else out.push({ from, to });
  }
  return out;
}

export function parseIntents(text: string, file: string, topology: Topology): ParseResult<Intent[]> {
  const y = new YamlReader(file, text);
  const top = y.root.present ? y.root.map(["intents"]) : null;
  const routers = new Set(topology.routers.map((r) => r.name));
  const hosts = new Set(topology.hosts.map((h) => h.name));
  const linkIds = new Map<string, string>();
  for (const l of topology.links) {
    linkIds.set(`${l.a}-${l.b}`, l.id);
    linkIds.set(`${l.b}-${l.a}`, l.id);
  }

  const intents: Intent[] = [];
  const seen = new Map<string, number>();
  const items = y.root.present ? (required(y.root, top, "intents")?.list() ?? []) : [];
  for (const item of items) {
    const f = item.map(["name", "match", "objective", "constraints"]);
    if (!f) { if (!item.present) item.error("empty intent entry"); continue; }
    const before = y.errors.length;

    const nameField = required(item, f, "name");
    const name = nameField?.string() ?? null;
    if (name !== null && !INTENT_NAME.test(name)) nameField!.error(`"${name}" is not a valid intent name (letters, digits, _ . -; up to 63)`);
    else if (name !== null && seen.has(name)) nameField!.error(`duplicate intent name "${name}" (first at line ${seen.get(name)})`);
    else if (name !== null) seen.set(name, y.position(nameField!.offset).line);

    const matchField = required(item, f, "match");
    const m = matchField?.map(["hosts", "app", "to", "protocol", "ports"]) ?? null;
    const hostsField = matchField ? required(matchField, m, "hosts") : null;
    const srcHosts = stringList(hostsField ?? undefined);
    if (hostsField && hostsField.list()?.length === 0) hostsField.error("must name at least one host");
    for (const h of srcHosts) {
      if (!hosts.has(h.value)) h.field.error(routers.has(h.value) ? `"${h.value}" is a router; intents apply on hosts` : `unknown host "${h.value}"`);
    }
    const appField = m?.get("app");
    const app = appField?.present ? appField.string() : null;
    if (app !== null && !APP_NAME.test(app)) appField!.error(`"${app}" is not a valid app name (letters, digits, _ . -)`);

    let to: Intent["match"]["to"] | null = null;
    const toField = matchField ? required(matchField, m, "to") : null;
    const toText = toField?.string() ?? null;
    if (toText !== null) {
      if (hosts.has(toText)) {
        if (srcHosts.some((h) => h.value === toText)) toField!.error(`destination "${toText}" is also one of the hosts this intent applies on`);
        to = { host: toText };
      } else if (toText.includes(":")) {
        const p = parsePrefix(toText.includes("/") ? toText : `${toText}/128`);
        if (!p) toField!.error(`"${toText}" is neither a host nor an IPv6 prefix`);
        else to = { prefix: formatPrefix(p) };
      } else toField!.error(routers.has(toText) ? `"${toText}" is a router; use a host name or an IPv6 prefix` : `unknown host "${toText}" (and not an IPv6 prefix)`);
    }

    const protoField = m?.get("protocol");
    const protocol = protoField?.present ? protoField.string() : null;
    if (protocol !== null && !(protocol in PROTOCOL_NUMBERS)) protoField!.error(`unknown protocol "${protocol}"; use one of ${Object.keys(PROTOCOL_NUMBERS).join(", ")}`);
    const ports = parsePorts(m?.get("ports"));
    if (ports.length > 0 && protocol === "icmpv6") m!.get("ports")!.error("ports apply only to tcp and udp");

    const objField = f.get("objective");
    const objective = objField?.present ? objField.string() : DEFAULT_OBJECTIVE;
    if (objective !== null && !OBJECTIVES.includes(objective as Objective)) objField!.error(`unknown objective "${objective}"; use one of ${OBJECTIVES.join(", ")}`);

    const cField = f.get("constraints");
    const c = cField?.map(["maxLatency", "avoidNodes", "avoidLinks"]) ?? null;
    let maxLatencyUs: number | undefined;
    const ml = c?.get("maxLatency");
    if (ml?.present) {
      const t = ml.string();
      const r = t === null ? null : parseDurationUs(t);
      if (r && !r.ok) ml.error(r.reason);
      else if (r && r.ok) maxLatencyUs = r.value;
    }
    const avoidNodes = stringList(c?.get("avoidNodes"));
    for (const n of avoidNodes) if (!routers.has(n.value)) n.field.error(hosts.has(n.value) ? `"${n.value}" is a host; avoidNodes takes routers` : `unknown router "${n.value}"`);
    const avoidLinks = stringList(c?.get("avoidLinks"));
    const avoidLinkIds: string[] = [];
    for (const l of avoidLinks) {
      const id = linkIds.get(l.value);
      if (id) avoidLinkIds.push(id);
      else l.field.error(/^[^-]+-[^-]+$/.test(l.value) ? `no link "${l.value}" in the topology` : `"${l.value}" is not a link; write it as a-b, e.g. r1-r2`);
    }

    if (y.errors.length > before || name === null || to === null || objective === null) continue;
    intents.push({
      name,
      match: {
        hosts: srcHosts.map((h) => h.value),
        ...(app !== null ? { app } : {}),
        to,
        ...(protocol !== null ? { protocol: protocol as Protocol } : {}),
        ports,
      },
      objective: objective as Objective,
      constraints: {
        ...(maxLatencyUs !== undefined ? { maxLatencyUs } : {}),
        avoidNodes: avoidNodes.map((n) => n.value),
        avoidLinks: avoidLinkIds,
      },
    });
  }
  if (y.errors.length > 0) return { ok: false, errors: y.errors };
  return { ok: true, value: intents };
}
