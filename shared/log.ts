// Structured logs on stdout. Fields are plain values chosen by the caller; never pass query
// parameters, job payloads, variable values or tokens.
export type LogLevel = "debug" | "info" | "warn" | "error";
export type Fields = Record<string, string | number | boolean | null | undefined>;
export type Logger = Readonly<{
  debug(message: string, fields?: Fields): void;
  info(message: string, fields?: Fields): void;
  warn(message: string, fields?: Fields): void;
  error(message: string, fields?: Fields): void;
  child(fields: Fields): Logger;
}>;

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function createLogger(
  options: { level?: LogLevel; format?: "text" | "json"; write?: (line: string) => void } = {},
  base: Fields = {},
): Logger {
  const level = options.level ?? "info";
  const format = options.format ?? "text";
  const write = options.write ?? ((line: string) => console.log(line));
  const emit = (at: LogLevel, message: string, fields: Fields = {}) => {
    if (RANK[at] < RANK[level]) return;
    const all = { ...base, ...fields };
    if (format === "json") {
      write(JSON.stringify({ time: new Date().toISOString(), level: at, msg: message, ...all }));
      return;
    }
    const extra = Object.entries(all)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${typeof v === "string" && /\s/.test(v) ? JSON.stringify(v) : v}`)
      .join(" ");
    write(`${new Date().toISOString()} ${at.toUpperCase().padEnd(5)} ${message}${extra ? ` ${extra}` : ""}`);
  };
  return Object.freeze({
    debug: (m: string, f?: Fields) => emit("debug", m, f),
    info: (m: string, f?: Fields) => emit("info", m, f),
    warn: (m: string, f?: Fields) => emit("warn", m, f),
    error: (m: string, f?: Fields) => emit("error", m, f),
    child: (fields: Fields) => createLogger(options, { ...base, ...fields }),
  });
}

/** For tests: a logger that keeps its lines. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { ...createLogger({ level: "debug", format: "json", write: (l) => lines.push(l) }), lines };
}
