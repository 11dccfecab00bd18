// The web UI's static files (Vite's build of ui/ in dist-ui/), served beside the API: `/` redirects
// to `/ui/`, `/ui/*` answers with a file of dist-ui (index.html for the app's own paths). The files
// hold no data and are public; the data comes through the API with the caller's role.
// `/ui/login` (the one-time login link) is another route's.
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import { packageFile } from "../package-files.js";
import { sendText, type HttpRoute } from "./http-routes.js";

export const UI_PREFIX = "/ui/";
const LOGIN_PATH = "/ui/login";
/** Vite's output for content-hashed files (their names change with their content). */
const ASSETS_PREFIX = "/ui/assets/";

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".map": "application/json",
};

/**
 * Cytoscape.js puts one rule of its own in a <style> element (`.__________cytoscape_container {
 * position: relative; }`): that rule alone is allowed, by its hash (it changes only with Cytoscape).
 */
const CYTOSCAPE_STYLE_HASH = "'sha256-pgvDUBa4IjFA2yuSJ2cqcyxmNYJMborsd0ORcRv9vw8='";

/**
 * Only the app's own files, scripts and styles (and Cytoscape's one rule); connections to this
 * origin only (the API); no framing. Cytoscape draws on a canvas and sets element styles from
 * script (CSSOM), which CSP does not restrict.
 */
export const UI_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  `style-src 'self' ${CYTOSCAPE_STYLE_HASH}`,
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS = {
  "content-security-policy": UI_CSP,
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
};

/** The file under `root` a request path names, or null for one that would leave it (or is not a plain path). */
export function uiFilePath(root: string, path: string): string | null {
  let rel: string;
  try {
    rel = decodeURIComponent(path.slice(UI_PREFIX.length));
  } catch {
    return null;
  }
  if (rel.includes("\0") || rel.includes("\\") || rel.split("/").some((s) => s === ".." || s === ".")) return null;
  const file = normalize(join(root, rel === "" ? "index.html" : rel));
  return file === root || file.startsWith(root.endsWith(sep) ? root : `${root}${sep}`) ? file : null;
}

/** `/` and `/ui/*` (but the login link) from `root` (default: the package's dist-ui/). */
export function uiRoute(root = packageFile("dist-ui")): HttpRoute {
  return {
    matches: (path) => path === "/" || path === "/ui" || (path.startsWith(UI_PREFIX) && path !== LOGIN_PATH),
    async handle(req, res) {
      const path = (req.url ?? "/").split("?")[0]!;
      if (req.method !== "GET" && req.method !== "HEAD") return sendText(res, 405, "the web UI's files are read with GET or HEAD", { allow: "GET, HEAD" });
      if (path === "/" || path === "/ui") {
        res.writeHead(302, { location: UI_PREFIX, "cache-control": "no-store" });
        return void res.end();
      }
      const index = join(root, "index.html");
      if (!(await isFile(index))) return sendText(res, 503, `the web UI is not built (no ${index}): run \`npm run build:ui\``);
      const file = uiFilePath(root, path);
      if (file === null) return sendText(res, 404, `no such file: ${path}`);
      // The app's own paths (no file extension, outside assets/) are the app: index.html.
      const isAppPath = !path.startsWith(ASSETS_PREFIX) && extname(path) === "";
      const served = (await isFile(file)) ? file : isAppPath ? index : null;
      if (served === null) return sendText(res, 404, `no such file: ${path}`);
      const body = await readFile(served);
      res.writeHead(200, {
        "content-type": CONTENT_TYPES[extname(served)] ?? "application/octet-stream",
        "content-length": String(body.length),
        "cache-control": path.startsWith(ASSETS_PREFIX) && served !== index ? "public, max-age=31536000, immutable" : "no-cache",
        ...SECURITY_HEADERS,
      });
      if (req.method === "HEAD") res.end();
      else res.end(body);
    },
  };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
