// The controller's clock: the shared one (src/clock.ts), whose manual twin starts at a date, since
// the controller's events print their times.
import { ManualClock as BaseManualClock } from "../clock.js";

export { realClock, type Clock, type Timer } from "../clock.js";

export class ManualClock extends BaseManualClock {
  constructor(start = Date.parse("2024-01-01T00:00:00Z")) {
    super(start);
  }
}
