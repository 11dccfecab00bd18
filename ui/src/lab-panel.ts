// Lab: put a link or a router down, a link to drop or lose packets, and heal it (InjectLabFault,
// HealLabFault, ListLabFaults: a lab's controller only, admin only), as `cairn lab fault` does.
import type { Topology } from "../../src/core/model.js";
import { CallError, type Api, type LabFault } from "./api.js";
import { el, show, table } from "./dom.js";

export class LabPanel {
  private readonly faults: HTMLElement;
  private readonly message: HTMLElement;

  constructor(container: HTMLElement, private readonly api: Api, topology: Topology, mayChange: boolean) {
    const target = el(
      "select",
      { id: "lab-target", name: "target" },
      el("optgroup", { label: "Links" }, ...topology.links.map((l) => el("option", { value: l.id, text: l.id }))),
      el("optgroup", { label: "Routers" }, ...topology.routers.map((r) => el("option", { value: r.name, text: r.name }))),
    );
    const kind = el("select", { id: "lab-kind", name: "kind" }, ...["down", "drop", "loss"].map((k) => el("option", { value: k, text: k })));
    const direction = el("select", { id: "lab-direction", name: "direction" }, ...["both", "a-b", "b-a"].map((d) => el("option", { value: d, text: d })));
    const percent = el("input", { id: "lab-percent", name: "percent", type: "number", min: "1", max: "99", value: "20" });
    const inject = el("button", { type: "button", id: "lab-inject", text: "Inject fault", disabled: !mayChange });
    const heal = el("button", { type: "button", id: "lab-heal", text: "Heal it", disabled: !mayChange });
    const healAll = el("button", { type: "button", id: "lab-heal-all", text: "Heal all", disabled: !mayChange });
    this.faults = el("div", { id: "lab-faults" });
    this.message = el("p", { id: "lab-message", "aria-live": "polite" });
    container.replaceChildren(
      el("div", { class: "form-row" }, label("Link or router", target), label("Fault", kind), label("Direction (drop, loss)", direction), label("Loss %", percent)),
      el("div", { class: "buttons" }, inject, heal, healAll, mayChange ? null : el("span", { class: "note", text: "Only an admin may inject or heal faults." })),
      this.message,
      this.faults,
    );
    inject.addEventListener("click", () =>
      void this.run(async () => {
        const f = await api.injectLabFault(kind.value, target.value, kind.value === "down" ? "" : direction.value, kind.value === "loss" ? Number(percent.value) : 0);
        return `injected: ${f.description}`;
      }),
    );
    heal.addEventListener("click", () => void this.run(async () => healed(await api.healLabFault(target.value))));
    healAll.addEventListener("click", () => void this.run(async () => healed(await api.healLabFault(""))));
  }

  async refresh(): Promise<void> {
    try {
      const faults = await this.api.listLabFaults();
      show(
        this.faults,
        table("Lab faults in force", [
          { header: "Element", cell: (f: LabFault) => f.name, key: true },
          { header: "Fault", cell: (f) => f.description },
          { header: "Since", cell: (f) => f.since },
        ], faults, (f) => ({ "data-fault": f.name, "data-kind": f.kind })),
      );
    } catch (e) {
      show(this.faults, el("p", { class: "note", text: e instanceof CallError ? `No lab faults here (${e.codeName}): ${e.message}` : String(e) }));
    }
  }

  private async run(action: () => Promise<string>): Promise<void> {
    try {
      this.message.textContent = await action();
      this.message.className = "";
    } catch (e) {
      this.message.textContent = e instanceof CallError ? `Refused (${e.codeName}): ${e.message}` : String(e);
      this.message.className = "error";
    }
    await this.refresh();
  }
}

function label(text: string, control: HTMLElement): HTMLElement {
  return el("label", {}, el("span", { text }), control);
}

function healed(faults: LabFault[]): string {
  return faults.length === 0 ? "nothing to heal" : `healed: ${faults.map((f) => f.description).join("; ")}`;
}
