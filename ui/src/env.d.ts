// The project's modules the UI imports are pure, but src/cli/errors.ts (CliError, which the what-if's
// checks throw) also holds the CLI's reportError, which reads process.env: never called in the browser.
declare const process: { env: Record<string, string | undefined> };

// Vite bundles CSS imported from TypeScript.
declare module "*.css";
