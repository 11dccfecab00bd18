// The agent's clock: the shared one (src/clock.ts).
export { ManualClock, realClock, type Clock, type Timer } from "../clock.js";
