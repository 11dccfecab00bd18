// The CLI's one mapping from errors to messages and exit statuses.
import { ConfigFileError, formatConfigError } from "../config/errors.js";

/** An expected failure with a message for the user; `exitCode` 2 means bad input. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = "CliError";
  }
}

export const EXIT_BAD_INPUT = 2;

export function reportError(e: unknown): number {
  if (e instanceof ConfigFileError) {
    console.error(`cairn: invalid input:\n${e.errors.map((x) => `  ${formatConfigError(x)}`).join("\n")}`);
    return EXIT_BAD_INPUT;
  }
  if (e instanceof CliError) {
    console.error(`cairn: ${e.message}`);
    return e.exitCode;
  }
  const err = e as Error & { code?: unknown; rawMessage?: string };
  // Connect errors from the controller carry the server's message; show it, not a stack.
  if (err?.name === "ConnectError") {
    console.error(`cairn: ${err.rawMessage ?? err.message}`);
    return err.code === 3 ? EXIT_BAD_INPUT : 1;
  }
  if (err?.name === "ControllerCallError" && (err.code === 14 || /\bconnect E[A-Z]+/.test(err.message ?? ""))) {
    console.error(`cairn: ${err.message}\n(is a controller running there? \`cairn lab up TOPOLOGY --intents FILE\` starts the lab's; --controller URL picks another)`);
    return 1;
  }
  console.error(`cairn: ${err?.message ?? String(e)}`);
  // Stacks are for bugs; CAIRN_DEBUG=1 shows them.
  if (process.env.CAIRN_DEBUG) console.error(err?.stack);
  return 1;
}
