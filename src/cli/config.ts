// The CLI's config file, like kubectl's: which controller to call and with what credentials.
//
//   controller: https://[fd00:ca:fe::1]:50051
//   ca: /path/ca.crt            # trust this CA for the server certificate (default: the system's CAs)
//   cert: /path/alice.crt       # a client certificate (mTLS) and its key ...
//   key: /path/alice.key
//   token: cairn_...            # ... or a bearer token (or tokenFile: /path)
//
// Found at --config FILE, else $CAIRN_CONFIG, else $XDG_CONFIG_HOME/cairn/config.yaml
// (~/.config/cairn/config.yaml), else /run/cairn/lab/operator/config.yaml when it exists (the
// lab's admin credential). Relative paths are relative to the file's directory. --controller
// overrides the file's URL (the credentials still go with it).
import { readFile, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { ConfigError } from "../config/errors.js";
import { ConfigFileError } from "../config/errors.js";
import { Field, YamlReader } from "../config/yaml-reader.js";
import { TOKEN_FORMAT, checkControllerUrl, isLoopbackHost } from "../certs/names.js";
import { CliError, EXIT_BAD_INPUT } from "./errors.js";
import { CredentialFileError, loadCredentialFiles, type ClientCredentials, type CredentialFiles } from "../api/credentials.js";

/** Where the lab leaves its admin operator's config (read only when it exists). */
export const LAB_OPERATOR_CONFIG = "/run/cairn/lab/operator/config.yaml";

export interface CliConfigOptions {
  /** --config FILE: must exist. */
  config?: string;
  /** --controller URL: overrides the file's `controller`. */
  controller?: string;
  /** The environment (CAIRN_CONFIG, XDG_CONFIG_HOME); default process.env. */
  env?: Record<string, string | undefined>;
  /** Default os.homedir(). */
  homeDir?: string;
  /** Default LAB_OPERATOR_CONFIG; null: do not look there. */
  labConfig?: string | null;
  /** The URL when neither a file nor --controller gives one; without it that is an error. */
  defaultUrl?: string;
}

export interface CliTls {
  /** PEM of the CA to trust for the server's certificate; absent: the system's CAs. */
  ca?: string;
  /** PEM of the client certificate and its key (mTLS); both or neither. */
  cert?: string;
  key?: string;
}

export interface CliConfig {
  /** The controller's URL, without a trailing slash. */
  url: string;
  /** Present for https:// URLs. */
  tls?: CliTls;
  /** A bearer token, sent as `authorization: Bearer <token>`. */
  token?: string;
  /** tls and token together, as the API clients take them. */
  credentials: ClientCredentials;
  /** The config file read, or null. */
  source: string | null;
  /** How the file was found: "--config", "CAIRN_CONFIG", "user", "lab", or null. */
  foundBy: "--config" | "CAIRN_CONFIG" | "user" | "lab" | null;
  /** Things to tell the user that do not stop the command (secrets readable by other users). */
  warnings: string[];
}

const KEYS = ["controller", "ca", "cert", "key", "token", "tokenFile"] as const;

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT" || (e as NodeJS.ErrnoException).code === "ENOTDIR") return false;
    throw e;
  }
}

/** Which config file to read, in order; null when none is given or present. */
export async function findCliConfig(opts: CliConfigOptions = {}): Promise<{ path: string; foundBy: CliConfig["foundBy"] } | null> {
  const env = opts.env ?? process.env;
  if (opts.config !== undefined) return { path: resolve(opts.config), foundBy: "--config" };
  const fromEnv = env.CAIRN_CONFIG;
  if (fromEnv !== undefined && fromEnv !== "") return { path: resolve(fromEnv), foundBy: "CAIRN_CONFIG" };
  const xdg = env.XDG_CONFIG_HOME;
  const userDir = xdg && xdg.startsWith("/") ? xdg : join(opts.homeDir ?? homedir(), ".config");
  const user = join(userDir, "cairn", "config.yaml");
  if (await isFile(user)) return { path: user, foundBy: "user" };
  const lab = opts.labConfig === undefined ? LAB_OPERATOR_CONFIG : opts.labConfig;
  if (lab !== null && (await isFile(lab))) return { path: lab, foundBy: "lab" };
  return null;
}

function fileError(file: string, reason: string): ConfigFileError {
  return new ConfigFileError([{ file, line: 0, column: 0, field: "", reason }]);
}

interface RawConfig {
  controller?: { value: string; field: Field };
  ca?: { value: string; field: Field };
  cert?: { value: string; field: Field };
  key?: { value: string; field: Field };
  token?: { value: string; field: Field };
  tokenFile?: { value: string; field: Field };
}

/** The file's keys, strictly: a mapping of known keys with non-empty string values. Pure. */
export function parseCliConfig(text: string, file: string): { ok: true; value: RawConfig; reader: YamlReader } | { ok: false; errors: ConfigError[] } {
  const y = new YamlReader(file, text);
  const out: RawConfig = {};
  if (y.errors.length > 0) {
    // A syntax error: the structure read from it would only add noise.
  } else if (!y.root.present) {
    y.root.error(`the file is empty: expected keys ${KEYS.join(", ")}`);
  } else {
    const m = y.root.map(KEYS);
    for (const k of KEYS) {
      const f = m?.get(k);
      if (!f) continue;
      const v = f.node && "value" in f.node ? (f.node as { value: unknown }).value : undefined;
      if (typeof v !== "string" || v === "") {
        f.error(typeof v === "number" || typeof v === "boolean" ? `expected a string, got ${JSON.stringify(v)} (quote it)` : "expected a non-empty string");
        continue;
      }
      out[k] = { value: v, field: f };
    }
    if (out.cert && !out.key) m!.get("cert")!.error("cert needs key (the client certificate's private key)");
    if (out.key && !out.cert) m!.get("key")!.error("key needs cert");
    if (out.token && out.tokenFile) out.tokenFile.field.error("token or tokenFile, not both");
    if (out.cert && (out.token || out.tokenFile)) (out.token ?? out.tokenFile)!.field.error("a client certificate (cert, key) or a token, not both");
    if (out.controller) {
      const u = checkControllerUrl(out.controller.value);
      if ("error" in u) out.controller.field.error(u.error);
    }
    if (out.token && !TOKEN_FORMAT.test(out.token.value)) out.token.field.error("not a Cairn token (cairn_ and 43 base64url characters, as `cairn certs token` prints)");
  }
  return y.errors.length > 0 ? { ok: false, errors: y.errors } : { ok: true, value: out, reader: y };
}

function located(field: Field, reader: YamlReader, reason: string): ConfigFileError {
  field.error(reason);
  return new ConfigFileError(reader.errors.slice(-1));
}

/** Group or other permission bits on a file that holds a secret. */
async function openToOthers(path: string): Promise<string | null> {
  const mode = (await stat(path)).mode & 0o777;
  return (mode & 0o077) !== 0 ? mode.toString(8).padStart(4, "0") : null;
}

async function readReferenced(base: string, ref: { value: string; field: Field }, reader: YamlReader, what: string): Promise<{ path: string; text: string }> {
  const path = resolve(base, ref.value);
  try {
    return { path, text: await readFile(path, "utf8") };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : code === "EISDIR" ? "a directory" : String(e);
    throw located(ref.field, reader, `cannot read ${what} ${path}: ${why}`);
  }
}

/**
 * The controller URL and credentials for a CLI command. Throws ConfigFileError (file, line, field)
 * for a bad config file or one it names, CliError when there is no URL at all.
 */
export async function loadCliConfig(opts: CliConfigOptions = {}): Promise<CliConfig> {
  const found = await findCliConfig(opts);
  let raw: RawConfig = {};
  let reader: YamlReader | null = null;
  let text: string | null = null;
  if (found) {
    try {
      text = await readFile(found.path, "utf8");
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : code === "EISDIR" ? "a directory" : String(e);
      throw fileError(found.path, `cannot read the CLI config (from ${found.foundBy}): ${why}`);
    }
    const r = parseCliConfig(text, found.path);
    if (!r.ok) throw new ConfigFileError(r.errors);
    raw = r.value;
    reader = r.reader;
  }
  const warnings: string[] = [];
  let urlText = opts.controller ?? raw.controller?.value ?? opts.defaultUrl;
  if (urlText === undefined) {
    throw new CliError(
      "no controller URL: pass --controller URL, or write a config file (--config FILE, $CAIRN_CONFIG, ~/.config/cairn/config.yaml; `cairn certs config` writes one)",
      EXIT_BAD_INPUT,
    );
  }
  const u = checkControllerUrl(urlText);
  if ("error" in u) throw new CliError(`--controller: ${u.error}`, EXIT_BAD_INPUT);
  const url = u.url;
  const base = found ? dirname(found.path) : process.cwd();
  const where = found ? ` (${found.path})` : "";
  if (!u.https) {
    // A file's own http:// URL with TLS credentials is a mistake; --controller http://... (a
    // cleartext loopback listener) simply does not use them.
    if ((raw.ca || raw.cert) && opts.controller === undefined) {
      throw new CliError(`${url} is cleartext http://, but the config${where} has TLS credentials (ca, cert): use an https:// URL`, EXIT_BAD_INPUT);
    }
    if ((raw.token || raw.tokenFile) && !isLoopbackHost(new URL(url).hostname)) {
      throw new CliError(`${url} is cleartext http:// to a host that is not loopback: the token${where} would cross the network in clear; use an https:// URL`, EXIT_BAD_INPUT);
    }
  }
  const out: CliConfig = { url, source: found?.path ?? null, foundBy: found?.foundBy ?? null, warnings, credentials: {} };
  if (u.https) {
    const files: CredentialFiles = {
      ...(raw.ca ? { ca: resolve(base, raw.ca.value) } : {}),
      ...(raw.cert ? { cert: resolve(base, raw.cert.value) } : {}),
      ...(raw.key ? { key: resolve(base, raw.key.value) } : {}),
    };
    try {
      const loaded = await loadCredentialFiles(files);
      out.tls = loaded.credentials;
      warnings.push(...loaded.warnings);
    } catch (e) {
      if (e instanceof CredentialFileError && raw[e.which]) throw located(raw[e.which]!.field, reader!, e.message);
      throw e;
    }
  }
  if (raw.token) {
    out.token = raw.token.value;
    const mode = await openToOthers(found!.path);
    if (mode) warnings.push(`${found!.path} holds a token and is accessible to other users (mode ${mode}); chmod 600 it`);
  } else if (raw.tokenFile) {
    const t = await readReferenced(base, raw.tokenFile, reader!, "token file");
    const token = t.text.trim();
    if (!TOKEN_FORMAT.test(token)) throw located(raw.tokenFile.field, reader!, `${t.path} does not hold a Cairn token (cairn_ and 43 base64url characters)`);
    const mode = await openToOthers(t.path);
    if (mode) warnings.push(`${t.path} (a token) is accessible to other users (mode ${mode}); chmod 600 it`);
    out.token = token;
  }
  out.credentials = { ...out.tls, ...(out.token !== undefined ? { token: out.token } : {}) };
  return out;
}
