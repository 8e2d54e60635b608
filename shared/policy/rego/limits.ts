// Evaluation limits (time, steps, collection sizes) and their defaults.

export interface Limits {
  /** wall-clock budget for one evaluation */
  timeoutMs?: number;
  /** maximum evaluation steps (literals and iterations) */
  maxSteps?: number;
  /** maximum elements in one produced collection or characters in one produced string */
  maxCollectionSize?: number;
  /** how many steps between clock reads */
  checkInterval?: number;
  /** injectable clock in ms (tests) */
  clock?: () => number;
}

export const DEFAULT_LIMITS = Object.freeze({
  timeoutMs: 5000,
  maxSteps: 10_000_000,
  maxCollectionSize: 1_000_000,
  checkInterval: 1000,
});
