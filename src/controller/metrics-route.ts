// GET /metrics on the controller's listeners: the Prometheus text format, for viewers and admins
// (a bearer token or a client certificate), or anyone on an open controller.
import type { Registry } from "prom-client";
import { httpRefusal, type HttpRoute } from "./http-routes.js";
import { sendMetrics, sendText } from "../metrics/exposition.js";
import type { RejectionCounts } from "./rejections.js";

export const METRICS_PATH = "/metrics";

export function metricsRoute(registry: Registry, rejections: RejectionCounts): HttpRoute {
  return {
    matches: (path) => path === METRICS_PATH,
    async handle(req, res, ctx) {
      const refused = httpRefusal(ctx, ["viewer", "admin"]);
      if (refused) {
        rejections.count(refused.status === 401 ? "unauthenticated" : "forbidden");
        return sendText(res, refused.status, `${METRICS_PATH}: ${refused.message}`, refused.status === 401 ? { "www-authenticate": "Bearer" } : {});
      }
      return sendMetrics(registry, METRICS_PATH, req, res);
    },
  };
}
