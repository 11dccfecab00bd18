// GET /metrics on the controller's listeners: the Prometheus text format, for viewers and admins
// (a bearer token or a client certificate), or anyone on an open controller.
import type { Registry } from "prom-client";
import { httpRefusal, sendText, type HttpRoute } from "./http-routes.js";
import type { RejectionCounts } from "./rejections.js";

export const METRICS_PATH = "/metrics";

export function metricsRoute(registry: Registry, rejections?: RejectionCounts): HttpRoute {
  return {
    matches: (path) => path === METRICS_PATH,
    async handle(req, res, ctx) {
      const refused = httpRefusal(ctx, ["viewer", "admin"]);
      if (refused) {
        rejections?.count(refused.status === 401 ? "unauthenticated" : "forbidden");
        return sendText(res, refused.status, `${METRICS_PATH}: ${refused.message}`, refused.status === 401 ? { "www-authenticate": "Bearer" } : {});
      }
      if (req.method !== "GET" && req.method !== "HEAD") return sendText(res, 405, `${METRICS_PATH}: use GET`, { allow: "GET, HEAD" });
      const text = await registry.metrics();
      if (res.headersSent) return void res.end();
      res.writeHead(200, { "content-type": registry.contentType, "cache-control": "no-store" });
      if (req.method === "HEAD") res.end();
      else res.end(text);
    },
  };
}
