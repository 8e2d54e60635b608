/** Errors raised by object stores. `code` is stable and safe to show to clients. */

export class ObjectStoreError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A key (or bucket name) breaks the key rules in ./keys.ts. */
export class InvalidKeyError extends ObjectStoreError {
  constructor(message: string) {
    super("Invalid", message);
  }
}

/** An upload exceeded the configured size limit. */
export class ObjectTooLargeError extends ObjectStoreError {
  constructor(limitBytes: number) {
    super("TooLarge", `object exceeds the size limit of ${limitBytes} bytes`);
  }
}

/**
 * Filesystem backend only: the key needs a directory where an object exists,
 * or an object where a directory exists (e.g. "a" and "a/b" cannot coexist).
 */
export class KeyConflictError extends ObjectStoreError {
  constructor(message: string) {
    super("Conflict", message);
  }
}
