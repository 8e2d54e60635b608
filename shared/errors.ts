// The error vocabulary. Domain code throws these; two places translate: Postgres errors become
// domain errors in fromPostgres(), and domain errors become wire errors in each delivery's onError.
export const ERROR_CODES = Object.freeze(["NotFound", "Conflict", "Forbidden", "Unauthorized", "Invalid", "Unavailable"] as const);
export type ErrorCode = (typeof ERROR_CODES)[number];

export class GantryError extends Error {
  constructor(readonly code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = code;
  }
}

export const notFound = (what: string) => new GantryError("NotFound", `${what} not found`);
export const conflict = (message: string) => new GantryError("Conflict", message);
export const forbidden = (message = "unauthorized: not allowed") => new GantryError("Forbidden", message);
export const invalid = (message: string) => new GantryError("Invalid", message);
export const unavailable = (message: string, cause?: unknown) => new GantryError("Unavailable", message, { cause });

export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = Object.freeze({
  NotFound: 404,
  Conflict: 409,
  Forbidden: 403,
  Unauthorized: 401,
  Invalid: 400,
  Unavailable: 503,
});

/** Postgres → domain. Messages never include parameters. */
export function fromPostgres(error: unknown): unknown {
  const code = (error as { code?: string } | null)?.code;
  if (typeof code !== "string") return error;
  if (code === "23505") return new GantryError("Conflict", `already exists (${(error as { constraint_name?: string }).constraint_name ?? "unique"})`, { cause: error });
  if (code === "23503") return new GantryError("Invalid", "refers to something that does not exist", { cause: error });
  if (code === "23514" || code === "22P02" || code === "22001") return new GantryError("Invalid", "value not accepted", { cause: error });
  if (code.startsWith("08") || code === "57P01" || code === "57P03" || code === "ECONNREFUSED" || code === "CONNECTION_CLOSED" || code === "CONNECT_TIMEOUT" || code === "CONNECTION_ENDED" || code === "CONNECTION_DESTROYED") {
    return new GantryError("Unavailable", "database unavailable", { cause: error });
  }
  return error;
}
