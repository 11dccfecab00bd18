// Prometheus metrics whose values are read from state at scrape time (prom-client's collect()),
// rather than incremented where things happen: a counter the kernel keeps, a gauge of how many agents
// are connected. Each scrape replaces every series, so series whose subject went away disappear.
import { Counter, Gauge, type Registry } from "prom-client";

/** One series: its labels and its value now. */
export interface Sample<L extends string> {
  labels: Partial<Record<L, string | number>>;
  value: number;
}

interface Spec<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
  read: () => Iterable<Sample<L>>;
}

/** What both kinds take from a spec: name, help, labels, and the registry to join. */
const configOf = <L extends string>(registry: Registry, spec: Spec<L>) => ({ name: spec.name, help: spec.help, labelNames: spec.labelNames ?? [], registers: [registry] });

/** A counter whose totals are kept elsewhere (the kernel's maps, a count object) and read at each scrape. */
export function collectedCounter<L extends string>(registry: Registry, spec: Spec<L>): Counter<L> {
  return new Counter<L>({
    ...configOf(registry, spec),
    collect() {
      this.reset();
      for (const s of spec.read()) this.inc(s.labels, Math.max(0, s.value));
    },
  });
}

/** A gauge read at each scrape. */
export function collectedGauge<L extends string>(registry: Registry, spec: Spec<L>): Gauge<L> {
  return new Gauge<L>({
    ...configOf(registry, spec),
    collect() {
      this.reset();
      for (const s of spec.read()) this.set(s.labels, s.value);
    },
  });
}
