import { test } from "node:test";
import assert from "node:assert/strict";
import type { Principal } from "./principal.js";
import { cookieValue, UiSessions } from "./ui-sessions.js";

const ada: Principal = { name: "ada", role: "admin", via: "certificate", peer: "[::1]:1" };

function clock() {
  let now = 1_000_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

test("a login token makes one session with the maker's name and role; the session holds until it expires", () => {
  const c = clock();
  const s = new UiSessions(c.now, 60_000, 3_600_000);
  const login = s.mint(ada);
  const r = s.redeem(login.token);
  assert.ok(r.ok);
  assert.deepEqual([r.name, r.role], ["ada", "admin"]);
  assert.equal(s.redeem(login.token).ok, false, "once only");
  const p = s.principal(r.sessionId, "[::1]:2");
  assert.deepEqual([p.name, p.role, p.via, p.peer], ["ada", "admin", "session", "[::1]:2"]);
  c.advance(3_599_999);
  assert.equal(p.stillValid?.(), null, "streams opened by the session keep going while it holds");
  c.advance(1);
  assert.equal(p.stillValid?.(), "expired");
  const later = s.principal(r.sessionId, "[::1]:2");
  assert.equal(later.role, null);
  assert.match(later.refused ?? "", /web UI session refused: expired/);
});

test("a token unused for its lifetime is refused; an anonymous caller cannot make one", () => {
  const c = clock();
  const s = new UiSessions(c.now, 60_000, 3_600_000);
  const login = s.mint(ada);
  c.advance(60_000);
  const r = s.redeem(login.token);
  assert.equal(r.ok, false);
  assert.match(r.ok ? "" : r.reason, /expired/);
  assert.throws(() => s.mint({ name: "anonymous", role: null, via: "none", peer: "x" }), /only an authenticated caller/);
});

test("credentials revoked after the link was made: the link and the session are refused", () => {
  let revoked: string | null = null;
  const s = new UiSessions();
  const mortal: Principal = { ...ada, stillValid: () => revoked };
  const a = s.redeem(s.mint(mortal).token);
  assert.ok(a.ok);
  const waiting = s.mint(mortal);
  revoked = "certificate serial 01 of admin ada is revoked";
  const b = s.redeem(waiting.token);
  assert.equal(b.ok, false);
  assert.match(b.ok ? "" : b.reason, /no longer hold: certificate serial 01/);
  assert.match(s.principal(a.sessionId, "p").refused ?? "", /revoked/);
});

test("waiting login links are bounded; expired ones make room", () => {
  const c = clock();
  const s = new UiSessions(c.now, 60_000, 3_600_000);
  for (let i = 0; i < 1_000; i++) s.mint(ada);
  assert.throws(() => s.mint(ada), /1000 login links are waiting/);
  c.advance(60_000);
  assert.doesNotThrow(() => s.mint(ada));
});

test("cookieValue finds one cookie among several, in one header or several (HTTP/2 may split them)", () => {
  assert.equal(cookieValue("a=1; cairn_session=xyz; b=2", "cairn_session"), "xyz");
  assert.equal(cookieValue(["a=1", "cairn_session=q"], "cairn_session"), "q");
  assert.equal(cookieValue("xcairn_session=no", "cairn_session"), null);
  assert.equal(cookieValue(undefined, "cairn_session"), null);
});
