// Intents: the controller's intents as YAML (ListIntents), edited here, checked as the CLI checks a
// file (file:line:col for every problem, as you type), dry-run against the controller
// (ValidateIntents: the diff of intents and every host's rules), applied by an admin (ApplyIntents,
// based on the revision the editor started from: a change made meanwhile is a conflict).
import type { Intent, Topology } from "../../src/core/model.js";
import { parseIntents } from "../../src/config/intents-file.js";
import { formatConfigError, type ConfigError } from "../../src/config/errors.js";
import { formatIntentsYaml } from "../../src/config/intents-yaml.js";
import { formatApplyResult, formatValidateResult } from "../../src/cli/format.js";
import { CallError, type Api, type IntentsState } from "./api.js";
import { el, show } from "./dom.js";

/** The name the controller records for intents applied from the editor (events, audit log). */
export const EDITOR_SOURCE = "web-ui.yaml";
const CHECK_DELAY_MS = 300;

export class IntentsEditor {
  private readonly text: HTMLTextAreaElement;
  private readonly problems: HTMLElement;
  private readonly outcome: HTMLElement;
  private readonly status: HTMLElement;
  private readonly apply: HTMLButtonElement;
  private base: IntentsState | null = null;
  private timer: number | undefined;

  constructor(container: HTMLElement, private readonly api: Api, private readonly topology: () => Topology, mayApply: boolean) {
    this.text = el("textarea", { id: "intents-text", spellcheck: "false", rows: "24", "aria-describedby": "intents-problems", "aria-label": `Intents YAML (${EDITOR_SOURCE})` });
    this.problems = el("ul", { id: "intents-problems", class: "problems", "aria-live": "polite" });
    this.outcome = el("pre", { id: "intents-outcome", "aria-live": "polite" });
    this.status = el("p", { id: "intents-status", class: "note" });
    const dryRun = el("button", { type: "button", id: "intents-dry-run", text: "Dry run (diff)" });
    this.apply = el("button", { type: "button", id: "intents-apply", text: "Apply", disabled: !mayApply, title: mayApply ? "Apply these intents" : "Viewers cannot apply intents" });
    const reload = el("button", { type: "button", id: "intents-reload", text: "Reload from controller" });
    container.replaceChildren(
      this.status,
      this.text,
      this.problems,
      el("div", { class: "buttons" }, dryRun, this.apply, reload, mayApply ? null : el("span", { class: "note", text: "You are a viewer: you may dry-run, not apply." })),
      this.outcome,
    );
    this.text.addEventListener("input", () => {
      window.clearTimeout(this.timer);
      this.timer = window.setTimeout(() => this.check(), CHECK_DELAY_MS);
    });
    dryRun.addEventListener("click", () => void this.dryRun());
    this.apply.addEventListener("click", () => void this.applyIntents());
    reload.addEventListener("click", () => void this.load());
  }

  async load(): Promise<void> {
    this.base = await this.api.listIntents();
    this.text.value = formatIntentsYaml(this.base.intents);
    show(this.problems);
    this.outcome.textContent = "";
    this.showStatus();
  }

  /** A newer revision on the controller than the editor's base: say so (the apply would conflict). */
  noteRevision(revision: number): void {
    if (this.base && revision !== this.base.revision) this.status.textContent = `The controller is at revision ${revision}; this text is based on ${this.base.revision} (reload, or an apply is refused as a conflict).`;
  }

  private showStatus(): void {
    const b = this.base!;
    this.status.textContent = `Revision ${b.revision}${b.changedBy ? `, by ${b.changedBy}` : ""} at ${b.changedAt}${b.source ? ` (from ${b.source})` : ""}.`;
  }

  /** The text's intents, or null after showing every problem. */
  private check(): Intent[] | null {
    const r = parseIntents(this.text.value, EDITOR_SOURCE, this.topology());
    this.showProblems(r.ok ? [] : r.errors);
    return r.ok ? r.value : null;
  }

  private showProblems(errors: ConfigError[]): void {
    show(
      this.problems,
      ...errors.map((e) => {
        const item = el("li", {}, el("button", { type: "button", class: "link", text: formatConfigError(e), title: e.line > 0 ? "Go to the problem" : undefined }));
        if (e.line > 0) item.querySelector("button")!.addEventListener("click", () => this.goTo(e.line, e.column));
        return item;
      }),
    );
  }

  private goTo(line: number, column: number): void {
    const lines = this.text.value.split("\n");
    const offset = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0) + Math.max(0, column - 1);
    this.text.focus();
    this.text.setSelectionRange(offset, offset + 1);
  }

  private async dryRun(): Promise<void> {
    const intents = this.check();
    if (!intents) return void (this.outcome.textContent = "Not sent: fix the problems above first.");
    try {
      this.outcome.textContent = formatValidateResult(await this.api.validateIntents(intents, EDITOR_SOURCE), EDITOR_SOURCE);
    } catch (e) {
      this.refused(e);
    }
  }

  private async applyIntents(): Promise<void> {
    const intents = this.check();
    if (!intents) return void (this.outcome.textContent = "Not sent: fix the problems above first.");
    try {
      const r = await this.api.applyIntents(intents, EDITOR_SOURCE, this.base?.revision ?? 0);
      this.outcome.textContent = formatApplyResult(r, EDITOR_SOURCE);
      this.base = await this.api.listIntents();
      this.showStatus();
    } catch (e) {
      this.refused(e);
    }
  }

  private refused(e: unknown): void {
    if (e instanceof CallError) {
      this.showProblems(e.validation);
      this.outcome.textContent = `Refused by the controller (${e.codeName}): ${e.message}`;
    } else this.outcome.textContent = `Failed: ${e instanceof Error ? e.message : String(e)}`;
    this.outcome.setAttribute("role", "alert");
  }
}
