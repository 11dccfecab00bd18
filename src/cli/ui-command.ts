// `cairn ui`: the web UI's address, with a one-time login token made for the caller (CreateUiLogin):
// opening it logs the browser in as whoever ran the command, with their role.
import { createOperatorClient } from "../api/client.js";
import { controllerTarget } from "./target.js";

export interface UiOptions {
  /** The global --config and the command's --controller. */
  config?: string;
  controller?: string;
  json?: boolean;
}

export async function uiCommand(o: UiOptions): Promise<number> {
  const target = await controllerTarget(o);
  const client = createOperatorClient(target.url, { credentials: target.credentials });
  try {
    const login = await client.createUiLogin();
    const url = new URL(login.loginPath, target.url).toString();
    if (o.json) {
      process.stdout.write(`${JSON.stringify({ url, ...login }, null, 2)}\n`);
      return 0;
    }
    process.stdout.write(`${url}\n`);
    const who = `${login.role} ${login.name}`;
    process.stderr.write(
      login.expiresInMs > 0
        ? `open it within ${Math.round(login.expiresInMs / 1000)} s (it works once): the browser is logged in as ${who} for ${Math.round(login.sessionMs / 3_600_000)} h\n`
        : `an open controller (--insecure): no login needed, everyone is ${login.role}\n`,
    );
    return 0;
  } finally {
    client.close();
  }
}
