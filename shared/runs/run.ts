// Runs: their types, Spacelift's complete state set, and the transitions between states as pure
// functions that return the next state or throw a domain error. The database side (one locked
// update per transition) is in transition.ts.
import { conflict, GantryError } from "../errors.ts";

export const RUN_TYPES = Object.freeze(["TRACKED", "PROPOSED", "TASK", "DESTROY"] as const);
export type RunType = (typeof RUN_TYPES)[number];

export const RUN_STATES = Object.freeze([
  "QUEUED",
  "READY",
  "PREPARING",
  "INITIALIZING",
  "PLANNING",
  "PENDING_REVIEW",
  "UNCONFIRMED",
  "CONFIRMED",
  "REPLAN_REQUESTED",
  "PREPARING_REPLAN",
  "PREPARING_APPLY",
  "APPLYING",
  "PERFORMING",
  "DESTROYING",
  "FINISHED",
  "FAILED",
  "STOPPED",
  "CANCELED",
  "DISCARDED",
  "SKIPPED",
] as const);
export type RunState = (typeof RUN_STATES)[number];

export const TERMINAL_STATES: readonly RunState[] = Object.freeze(["FINISHED", "FAILED", "STOPPED", "CANCELED", "DISCARDED", "SKIPPED"]);
export const isTerminal = (state: RunState): boolean => TERMINAL_STATES.includes(state);

/** Run types that hold the stack's exclusive lock while unfinished. */
export const BLOCKING_TYPES: readonly RunType[] = Object.freeze(["TRACKED", "TASK", "DESTROY"]);
export const isBlocking = (type: RunType): boolean => BLOCKING_TYPES.includes(type);

export const FORCE_APPLY_MODES = Object.freeze(["SINGLE", "CASCADE"] as const);
export type ForceApplyMode = (typeof FORCE_APPLY_MODES)[number];

/** The facts a transition looks at. blockedBy: the run holding the stack's lock, when not this one. */
export type RunFacts = Readonly<{ id: string; type: RunType; state: RunState; blockedBy?: string | null }>;

const COMMON: readonly RunState[] = ["QUEUED", "READY", "PREPARING", "INITIALIZING", ...TERMINAL_STATES];
/** The states a run of each type can be in. */
export const STATES_BY_TYPE: Readonly<Record<RunType, readonly RunState[]>> = Object.freeze({
  TRACKED: [...COMMON, "PLANNING", "UNCONFIRMED", "CONFIRMED", "REPLAN_REQUESTED", "PREPARING_REPLAN", "PREPARING_APPLY", "APPLYING"],
  PROPOSED: [...COMMON, "PLANNING", "PENDING_REVIEW"],
  TASK: [...COMMON, "PERFORMING"],
  DESTROY: [...COMMON, "DESTROYING"],
});

/** Every edge of the state graph; an edge applies to a run type when both ends are states of that type. */
const EDGES: Readonly<Partial<Record<RunState, readonly RunState[]>>> = Object.freeze({
  QUEUED: ["READY", "CANCELED", "DISCARDED", "FAILED", "SKIPPED"],
  READY: ["PREPARING", "CANCELED", "DISCARDED"],
  PREPARING: ["INITIALIZING", "PERFORMING", "FAILED"],
  INITIALIZING: ["PLANNING", "PERFORMING", "DESTROYING", "FAILED", "STOPPED"],
  PLANNING: ["FINISHED", "PENDING_REVIEW", "UNCONFIRMED", "APPLYING", "FAILED", "STOPPED"],
  PENDING_REVIEW: ["FINISHED", "FAILED"],
  UNCONFIRMED: ["CONFIRMED", "DISCARDED", "REPLAN_REQUESTED"],
  REPLAN_REQUESTED: ["PREPARING_REPLAN"],
  PREPARING_REPLAN: ["PLANNING", "FAILED"],
  CONFIRMED: ["PREPARING_APPLY", "FAILED"],
  PREPARING_APPLY: ["APPLYING", "FAILED"],
  APPLYING: ["FINISHED", "FAILED"],
  PERFORMING: ["FINISHED", "FAILED"],
  DESTROYING: ["FINISHED", "FAILED"],
});

/** States reachable in one step from `from` for a run of `type`. */
export function nextStates(type: RunType, from: RunState): readonly RunState[] {
  const states = STATES_BY_TYPE[type];
  if (!states.includes(from)) return [];
  return (EDGES[from] ?? []).filter((to) => states.includes(to));
}

/**
 * The scheduler's and workers' transition: any edge of the graph for the run's type. A blocking
 * run leaves QUEUED for READY only while it holds the stack's lock.
 */
export function advance(run: RunFacts, to: RunState): RunState {
  if (isTerminal(run.state)) throw conflict(`run ${run.id} is ${run.state}, which is final`);
  if (!nextStates(run.type, run.state).includes(to)) {
    throw conflict(`run ${run.id} (${run.type}) cannot go from ${run.state} to ${to}`);
  }
  if (to === "READY" && run.blockedBy) throw conflict(`run ${run.id} is blocked by run ${run.blockedBy}, which holds the stack's lock`);
  return to;
}

export const USER_ACTIONS = Object.freeze(["confirm", "discard", "cancel", "stop", "kill"] as const);
export type UserAction = (typeof USER_ACTIONS)[number];

/** From which states each user action applies, and where it leads. */
export const USER_ACTION_RULES: Readonly<Record<UserAction, Readonly<{ from: Readonly<Partial<Record<RunType, readonly RunState[]>>>; to: RunState; what: string }>>> = Object.freeze({
  confirm: { from: { TRACKED: ["UNCONFIRMED"] }, to: "CONFIRMED", what: "only UNCONFIRMED tracked runs can be confirmed" },
  discard: {
    from: { TRACKED: ["QUEUED", "READY", "UNCONFIRMED"], PROPOSED: ["QUEUED", "READY"], TASK: ["QUEUED", "READY"], DESTROY: ["QUEUED", "READY"] },
    to: "DISCARDED",
    what: "only queued, ready or unconfirmed runs can be discarded",
  },
  cancel: {
    from: { TRACKED: ["QUEUED", "READY"], PROPOSED: ["QUEUED", "READY"], TASK: ["QUEUED", "READY"], DESTROY: ["QUEUED", "READY"] },
    to: "CANCELED",
    what: "only runs that have not started (QUEUED or READY) can be canceled",
  },
  stop: {
    from: { TRACKED: ["INITIALIZING", "PLANNING"], PROPOSED: ["INITIALIZING", "PLANNING"], TASK: ["INITIALIZING"], DESTROY: ["INITIALIZING"] },
    to: "STOPPED",
    what: "only initializing or planning runs can be stopped (a task cannot be stopped while performing)",
  },
  kill: {
    from: {
      TRACKED: ["PREPARING", "INITIALIZING", "PLANNING", "PREPARING_APPLY", "APPLYING"],
      PROPOSED: ["PREPARING", "INITIALIZING", "PLANNING"],
      TASK: ["PREPARING", "INITIALIZING", "PERFORMING"],
      DESTROY: ["PREPARING", "INITIALIZING", "DESTROYING"],
    },
    to: "FAILED",
    what: "only runs a worker is executing can be killed",
  },
});

/** States in which a worker holds the run (it was accepted and has not ended or been handed back). */
export const WORKER_STATES: readonly RunState[] = Object.freeze(["PREPARING", "INITIALIZING", "PLANNING", "PREPARING_REPLAN", "PREPARING_APPLY", "APPLYING", "PERFORMING", "DESTROYING"]);
/** States where the worker's part ends without the run ending: the run waits for a person. */
export const HANDED_BACK_STATES: readonly RunState[] = Object.freeze(["UNCONFIRMED", "PENDING_REVIEW"]);

/** A user's action on a run: the next state, or a Conflict naming the run's state. */
export function applyUserAction(run: RunFacts, action: UserAction): RunState {
  const rule = USER_ACTION_RULES[action];
  if (!(rule.from[run.type] ?? []).includes(run.state)) {
    throw conflict(`cannot ${action} run ${run.id}: it is ${run.state}; ${rule.what}`);
  }
  return rule.to;
}

/** Whether a finished run may be retried (a new run at the same commit). */
export function canRetry(run: Pick<RunFacts, "type" | "state">): boolean {
  if (run.type !== "TRACKED" && run.type !== "PROPOSED") return false;
  if (!isTerminal(run.state)) return false;
  return run.type === "PROPOSED" || run.state !== "FINISHED";
}

export function checkRetry(run: RunFacts): void {
  if (!canRetry(run)) {
    throw conflict(`cannot retry run ${run.id}: it is a ${run.type} run in ${run.state}; only finished proposed runs and failed, stopped, canceled or discarded tracked runs can be retried`);
  }
}

export function checkPromote(run: RunFacts, stack: Readonly<{ allowRunPromotion: boolean }>): void {
  if (!stack.allowRunPromotion) throw conflict("run promotion is not allowed on this stack");
  if (run.type !== "PROPOSED" || run.state !== "FINISHED") {
    throw conflict(`cannot promote run ${run.id}: it is a ${run.type} run in ${run.state}; only FINISHED proposed runs can be promoted`);
  }
}

/** Scheduling priority: blocking runs, then proposed runs, then drift detection; FIFO within each. */
export function priorityClass(run: Readonly<{ type: RunType; driftDetection: boolean }>): 0 | 1 | 2 {
  if (isBlocking(run.type)) return 0;
  return run.driftDetection ? 2 : 1;
}

export function parseRunType(value: string): RunType {
  if (!(RUN_TYPES as readonly string[]).includes(value)) throw new GantryError("Invalid", `unknown run type "${value}"`);
  return value as RunType;
}
