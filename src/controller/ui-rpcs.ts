// The RPCs of the web UI and the lab panel: WhoAmI, CreateUiLogin, and the lab's faults.
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { CairnService, LabFaultSchema } from "../api/gen/cairn/v1/cairn_pb.js";
import type { LabFault } from "../lab/fault-model.js";
import { ACCESS } from "./authz.js";
import type { LabFaultsService } from "./lab-faults.js";
import { describePrincipal, type Principal } from "./principal.js";
import { UI_LOGIN_PATH } from "./ui-login-route.js";
import type { UiSessions } from "./ui-sessions.js";

export interface UiRpcDeps {
  /** The caller of a request. */
  principalOf(ctx: HandlerContext): Principal;
  /** An open controller (no authentication): every caller is an admin. */
  open: boolean;
  sessions: UiSessions;
  /** A lab's controller (--lab); else the lab RPCs answer FAILED_PRECONDITION. */
  labFaults?: LabFaultsService;
  log: (line: string) => void;
}

type UiRpcs = Pick<ServiceImpl<typeof CairnService>, "whoAmI" | "createUiLogin" | "listLabFaults" | "injectLabFault" | "healLabFault">;

export function uiRpcs(deps: UiRpcDeps): UiRpcs {
  const { principalOf, sessions, log } = deps;

  function lab(method: string): LabFaultsService {
    if (!deps.labFaults) throw new ConnectError(`${method}: this controller belongs to no lab (a lab's controller runs with --lab; \`cairn lab up\` starts one)`, Code.FailedPrecondition);
    return deps.labFaults;
  }
  const toProto = (f: LabFault): MessageInitShape<typeof LabFaultSchema> => ({
    kind: f.kind,
    target: f.target,
    name: f.name,
    direction: f.direction ?? "",
    percent: f.percent ?? 0,
    since: f.since,
    description: deps.labFaults!.describe(f),
  });
  /** A lab function's failure as a Connect error: a bad request names what is wrong, anything else is the lab's state. */
  const failed = (method: string, e: unknown): ConnectError => {
    if (e instanceof ConnectError) return e;
    const message = `${method}: ${e instanceof Error ? e.message : String(e)}`;
    return new ConnectError(message, deps.labFaults!.isBadRequest(e) ? Code.InvalidArgument : Code.FailedPrecondition);
  };

  return {
    whoAmI(_req, ctx) {
      const p = principalOf(ctx);
      const role = deps.open ? "admin" : (p.role ?? "");
      const allowed = Object.entries(ACCESS)
        .filter(([, roles]) => deps.open || (p.role !== null && roles.includes(p.role)))
        .map(([m]) => m)
        .sort();
      return { name: p.name, role, via: p.via, allowed };
    },

    createUiLogin(_req, ctx) {
      const p = principalOf(ctx);
      if (deps.open) return { loginPath: "/ui/", expiresInMs: 0, sessionMs: 0, name: p.name, role: "admin" };
      // A session that could make logins would never have to end.
      if (p.via === "session") throw new ConnectError("CreateUiLogin: a web UI session cannot make login links; run `cairn ui` with your certificate or token", Code.PermissionDenied);
      let login;
      try {
        login = sessions.mint(p);
      } catch (e) {
        throw new ConnectError(`CreateUiLogin: ${(e as Error).message}`, Code.ResourceExhausted);
      }
      log(`web UI login link made for ${describePrincipal(p)}`);
      return { loginPath: `${UI_LOGIN_PATH}?token=${login.token}`, expiresInMs: login.expiresInMs, sessionMs: login.sessionMs, name: p.name, role: p.role ?? "" };
    },

    listLabFaults() {
      return { faults: lab("ListLabFaults").list().map(toProto) };
    },

    async injectLabFault(req, ctx) {
      const faults = lab("InjectLabFault");
      const request = { kind: req.kind as LabFault["kind"], target: req.target, ...(req.direction ? { direction: req.direction } : {}), ...(req.percent ? { percent: req.percent } : {}) };
      try {
        const r = await faults.inject(request);
        log(`lab fault injected by ${describePrincipal(principalOf(ctx))}: ${faults.describe(r.fault)}`);
        return { fault: toProto(r.fault), ...(r.replaced ? { replaced: toProto(r.replaced) } : {}) };
      } catch (e) {
        throw failed("InjectLabFault", e);
      }
    },

    async healLabFault(req, ctx) {
      const faults = lab("HealLabFault");
      if (req.all === (req.target !== "")) throw new ConnectError("HealLabFault: give a target (a link or router) or all, not both", Code.InvalidArgument);
      try {
        const r = await faults.heal(req.all ? { all: true } : req.target);
        log(`lab fault healed by ${describePrincipal(principalOf(ctx))}: ${req.all ? "all" : req.target} (${r.healed.length} fault(s) removed)`);
        return { healed: r.healed.map(toProto) };
      } catch (e) {
        throw failed("HealLabFault", e);
      }
    },
  };
}
