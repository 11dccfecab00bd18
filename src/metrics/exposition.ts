// Answering a scrape: the registry in the Prometheus text format, for GET and HEAD, on the controller's
// listeners (metrics-route.ts) and on the agent's --metrics-listen (metrics-server.ts) alike.
import type { Registry } from "prom-client";

/** What is used of a Node request and response, HTTP/1.1 or HTTP/2 (and the Connect adapter's view of them). */
interface Request {
  method?: string | undefined;
}
interface Response {
  readonly headersSent: boolean;
  writeHead(status: number, headers: Record<string, string>): unknown;
  end(): unknown;
  end(chunk: string): unknown;
}

/** A short plain-text answer (errors, refusals). */
export function sendText(res: Response, status: number, text: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", ...headers });
  res.end(text.endsWith("\n") ? text : `${text}\n`);
}

/** The registry's metrics now; 405 for other methods, 500 (saying why) when collecting fails. */
export async function sendMetrics(registry: Registry, path: string, req: Request, res: Response): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD") return sendText(res, 405, `${path}: use GET`, { allow: "GET, HEAD" });
  let text: string;
  try {
    text = await registry.metrics();
  } catch (e) {
    return sendText(res, 500, `${path}: cannot collect the metrics: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (res.headersSent) return void res.end();
  res.writeHead(200, { "content-type": registry.contentType, "cache-control": "no-store" });
  if (req.method === "HEAD") res.end();
  else res.end(text);
}
