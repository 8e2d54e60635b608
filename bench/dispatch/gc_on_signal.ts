// Preloaded into the processes whose memory the dispatch benchmark reads
// (node --expose-gc --import tsx --import ./bench/dispatch/gc_on_signal.ts <entry>): on SIGUSR2 it
// runs a full garbage collection, so that a reading does not count garbage that happens not to be
// collected yet, and prints one line `gantry-bench-memory {rss, heapUsed, external}` (bytes).
// Nothing else in the process changes.
const gc = (globalThis as { gc?: () => void }).gc;
process.on("SIGUSR2", () => {
  gc?.();
  const { rss, heapUsed, external } = process.memoryUsage();
  process.stderr.write(`gantry-bench-memory ${JSON.stringify({ rss, heapUsed, external })}\n`);
});
