// The system's openssl binary (Debian's openssl package), run with argument arrays, never a shell.
// Each certificate is made in a scratch directory of its own: a fresh P-256 key, a request, and
// `openssl ca` signing it with explicit dates and serial.
import { execFile } from "node:child_process";
import { X509Certificate, createPrivateKey } from "node:crypto";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  CERT_FILE,
  CONFIG_FILE,
  CSR_FILE,
  EXTENSIONS_SECTION,
  INDEX_FILE,
  KEY_FILE,
  SERIAL_FILE,
  opensslConfig,
  type Profile,
} from "./openssl-config.js";
import { normaliseSerial, opensslTime, subjectArg, type Subject } from "./names.js";

/** openssl is missing, or failed; the message has its stderr. */
export class OpensslError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OpensslError";
  }
}

export interface OpensslOptions {
  /** The binary; default "openssl" on PATH, or $CAIRN_OPENSSL. */
  binary?: string;
  /** Per-run limit; default 30 s. */
  timeoutMs?: number;
}

export interface Openssl {
  /** Runs openssl with these arguments in `cwd`; resolves with stdout, rejects with OpensslError. */
  run(args: string[], cwd?: string): Promise<string>;
}

export function createOpenssl(opts: OpensslOptions = {}): Openssl {
  const binary = opts.binary ?? process.env.CAIRN_OPENSSL ?? "openssl";
  const timeout = opts.timeoutMs ?? 30_000;
  return {
    run(args, cwd) {
      return new Promise((resolve, reject) => {
        execFile(binary, args, { cwd, timeout, maxBuffer: 1 << 20, encoding: "utf8", env: { ...process.env, LC_ALL: "C" } }, (err, stdout, stderr) => {
          if (!err) return resolve(stdout);
          const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: string | number };
          if (e.code === "ENOENT") {
            reject(new OpensslError(`openssl not found ("${binary}"): install it (Debian: apt-get install openssl)`));
          } else if (e.killed) {
            reject(new OpensslError(`openssl ${args[0]} did not finish within ${timeout} ms`));
          } else {
            const detail = stderr.trim().split("\n").filter((l) => l.trim() !== "").slice(-6).join("\n  ");
            reject(new OpensslError(`openssl ${args[0]} failed (exit ${String(e.code)})${detail ? `:\n  ${detail}` : ""}`));
          }
        });
      });
    },
  };
}

/** A new ECDSA P-256 private key, PKCS#8 PEM, from stdout (never written by openssl itself). */
export async function generateKey(openssl: Openssl): Promise<string> {
  const pem = await openssl.run(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-pkeyopt", "ec_param_enc:named_curve"]);
  if (!pem.includes("-----BEGIN PRIVATE KEY-----")) throw new OpensslError("openssl genpkey printed no private key");
  return pem;
}

export interface SignRequest {
  /** A scratch directory of this run alone, mode 0700; the caller removes it. */
  workDir: string;
  subject: Subject;
  profile: Profile;
  /** "DNS:...,IP:..." for server certificates. */
  subjectAltName?: string;
  /** Upper-case hex (names.serialFromBytes). */
  serial: string;
  notBeforeMs: number;
  notAfterMs: number;
  /** The issuer; absent: self-signed (the CA). */
  issuer?: { certPath: string; keyPath: string };
}

export interface SignedCertificate {
  keyPem: string;
  certPem: string;
  cert: X509Certificate;
}

/**
 * A new key and a certificate for it. The key is written into workDir with mode 0600 only for
 * openssl to read; the caller installs both. Checks that openssl produced what was asked.
 */
export async function issueWithOpenssl(openssl: Openssl, req: SignRequest): Promise<SignedCertificate> {
  const cwd = req.workDir;
  const keyPem = await generateKey(openssl);
  await writeFile(join(cwd, KEY_FILE), keyPem, { mode: 0o600, flag: "wx" });
  await writeFile(join(cwd, CONFIG_FILE), opensslConfig(req.profile, req.subjectAltName), { mode: 0o600, flag: "wx" });
  await writeFile(join(cwd, INDEX_FILE), "", { mode: 0o600, flag: "wx" });
  await writeFile(join(cwd, SERIAL_FILE), `${req.serial}\n`, { mode: 0o600, flag: "wx" });
  await openssl.run(["req", "-new", "-config", CONFIG_FILE, "-key", KEY_FILE, "-subj", subjectArg(req.subject), "-sha256", "-out", CSR_FILE], cwd);
  const signer = req.issuer ? ["-cert", req.issuer.certPath, "-keyfile", req.issuer.keyPath] : ["-selfsign", "-keyfile", KEY_FILE];
  await openssl.run(
    [
      "ca", "-batch", "-config", CONFIG_FILE, "-in", CSR_FILE, "-out", CERT_FILE, "-notext", "-preserveDN",
      "-md", "sha256", "-extensions", EXTENSIONS_SECTION,
      "-startdate", opensslTime(req.notBeforeMs), "-enddate", opensslTime(req.notAfterMs),
      ...signer,
    ],
    cwd,
  );
  const certPem = await readFile(join(cwd, CERT_FILE), "utf8");
  // The private key's copy in the scratch directory goes as soon as the certificate exists.
  await rm(join(cwd, KEY_FILE), { force: true });
  const cert = new X509Certificate(certPem);
  if (normaliseSerial(cert.serialNumber) !== normaliseSerial(req.serial)) throw new OpensslError(`openssl wrote serial ${cert.serialNumber}, not ${req.serial}`);
  if (!cert.checkPrivateKey(createPrivateKey(keyPem))) throw new OpensslError("openssl's certificate does not match its key");
  return { keyPem, certPem, cert };
}
