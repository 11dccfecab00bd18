// The controller an operator command talks to, and as whom: the global --config (else
// $CAIRN_CONFIG, else the default paths) gives the URL and credentials, --controller overrides
// the URL. Without any config file, the lab's controller URL without credentials.
import type { ClientCredentials } from "../api/credentials.js";
import { LAB_CONTROLLER_URL } from "../lab/endpoint.js";
import { loadCliConfig } from "./config.js";

export interface ControllerTarget {
  url: string;
  credentials: ClientCredentials;
}

export interface TargetFlags {
  /** The global --config FILE. */
  config?: string;
  /** The command's --controller URL. */
  controller?: string;
}

export async function controllerTarget(flags: TargetFlags): Promise<ControllerTarget> {
  const c = await loadCliConfig({
    ...(flags.config !== undefined ? { config: flags.config } : {}),
    ...(flags.controller !== undefined ? { controller: flags.controller } : {}),
    defaultUrl: LAB_CONTROLLER_URL,
  });
  for (const w of c.warnings) process.stderr.write(`cairn: warning: ${w}\n`);
  return { url: c.url, credentials: c.credentials };
}
