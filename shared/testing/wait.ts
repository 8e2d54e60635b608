// Waiting on state, never on time: poll a condition until it holds or the deadline passes.
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${options.timeoutMs ?? 10_000} ms waiting for ${options.what ?? "a condition"}`);
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 10));
  }
}
