// The openssl configuration for one signing run (`openssl req` and `openssl ca`): pure text. Every
// path in it is relative to the run's own scratch directory (openssl's config syntax expands `$`,
// so no user path goes in), and every value is a checked name.

/** The extensions a certificate gets. */
export type Profile = "ca" | "server" | "client";

export const CONFIG_FILE = "openssl.cnf";
export const CSR_FILE = "request.csr";
export const CERT_FILE = "certificate.pem";
export const KEY_FILE = "private.key";
export const SERIAL_FILE = "serial";
export const INDEX_FILE = "index.txt";

const PROFILES: Record<Profile, string[]> = {
  ca: [
    "basicConstraints = critical, CA:TRUE, pathlen:0",
    "keyUsage = critical, keyCertSign, cRLSign",
    "subjectKeyIdentifier = hash",
  ],
  server: [
    "basicConstraints = critical, CA:FALSE",
    "keyUsage = critical, digitalSignature",
    "extendedKeyUsage = serverAuth",
    "subjectKeyIdentifier = hash",
    "authorityKeyIdentifier = keyid:always",
  ],
  client: [
    "basicConstraints = critical, CA:FALSE",
    "keyUsage = critical, digitalSignature",
    "extendedKeyUsage = clientAuth",
    "subjectKeyIdentifier = hash",
    "authorityKeyIdentifier = keyid:always",
  ],
};

/**
 * openssl.cnf for a scratch directory holding index.txt and serial: `openssl ca` signs with the
 * dates, serial and extensions given, keeps the request's subject as it is (OU then CN), and
 * copies no extension from the request.
 */
export function opensslConfig(profile: Profile, subjectAltName?: string): string {
  if (subjectAltName !== undefined && !/^(DNS:[A-Za-z0-9*.-]+|IP:[0-9A-Fa-f.:]+)(,(DNS:[A-Za-z0-9*.-]+|IP:[0-9A-Fa-f.:]+))*$/.test(subjectAltName)) {
    throw new Error(`bug: subjectAltName "${subjectAltName}" was not checked`);
  }
  const ext = [...PROFILES[profile], ...(subjectAltName ? [`subjectAltName = ${subjectAltName}`] : [])];
  return [
    "# Written by `cairn certs` for one signing run; removed afterwards.",
    "[ req ]",
    "distinguished_name = req_dn",
    "prompt = no",
    "[ req_dn ]",
    "CN = unused",
    "",
    "[ ca ]",
    "default_ca = cairn",
    "[ cairn ]",
    `database = ${INDEX_FILE}`,
    "new_certs_dir = .",
    `serial = ${SERIAL_FILE}`,
    "default_md = sha256",
    "policy = cairn_policy",
    "unique_subject = no",
    "email_in_dn = no",
    "copy_extensions = none",
    "[ cairn_policy ]",
    "organizationalUnitName = supplied",
    "commonName = supplied",
    "",
    "[ cairn_ext ]",
    ...ext,
    "",
  ].join("\n");
}

export const EXTENSIONS_SECTION = "cairn_ext";
