// The views' tabs: one panel shown at a time; arrow keys, Home and End move between tabs.
export function setUpTabs(onShow: (tab: string) => void): void {
  const tabs = [...document.querySelectorAll<HTMLButtonElement>('[role="tab"]')];
  const select = (tab: HTMLButtonElement) => {
    for (const t of tabs) {
      const chosen = t === tab;
      t.setAttribute("aria-selected", String(chosen));
      t.tabIndex = chosen ? 0 : -1;
      document.getElementById(t.getAttribute("aria-controls")!)!.hidden = !chosen;
    }
    onShow(tab.id.replace(/^tab-/, ""));
  };
  for (const [i, t] of tabs.entries()) {
    t.tabIndex = t.getAttribute("aria-selected") === "true" ? 0 : -1;
    t.addEventListener("click", () => select(t));
    t.addEventListener("keydown", (ev) => {
      const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[ev.key];
      if (next === undefined) return;
      ev.preventDefault();
      const to = tabs[(next + tabs.length) % tabs.length]!;
      to.focus();
      select(to);
    });
  }
}
