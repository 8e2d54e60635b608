// Process lifecycle: run a main function with an AbortSignal that SIGTERM/SIGINT abort; a second
// signal exits at once. Configuration errors exit 2 with a message naming the variable.
import { ConfigError } from "./config/config.ts";

export async function runProcess(name: string, main: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (sig: string) => {
    signals++;
    if (signals > 1) {
      console.error(`${name}: second ${sig}, exiting now`);
      process.exit(130);
    }
    controller.abort(new Error(`${sig} received`));
  };
  const deno = (globalThis as { Deno?: { addSignalListener(signal: string, handler: () => void): void } }).Deno;
  for (const sig of ["SIGTERM", "SIGINT"] as const) {
    // Deno's process.on does not keep a signal from ending the process; its own API does.
    if (deno) deno.addSignalListener(sig, () => onSignal(sig));
    else process.on(sig, () => onSignal(sig));
  }
  try {
    await main(controller.signal);
    process.exit(0);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    console.error(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}

/** Resolves when the signal aborts. */
export function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener("abort", () => resolve(), { once: true })));
}
