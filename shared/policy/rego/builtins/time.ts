// Time builtins. Times are nanoseconds since the Unix epoch; arithmetic is
// done in BigInt. Zone offsets come from Intl.DateTimeFormat (IANA names).

import { formatValue, type Value } from "../value.ts";
import { type BuiltinTable, def, fail, got, int, str } from "./builtin.ts";
import { DAYS, formatLayout, parseLayout, type Parts } from "./go_layout.ts";

const NS = 1_000_000_000n;

/** exact BigInt of a JS number holding an integer ns count (uses its shortest decimal form) */
export function toBig(n: number): bigint {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return BigInt(String(n).replace(/\.0+$/, ""));
  return BigInt(Math.trunc(n));
}

function fromBig(n: bigint): number {
  return Number(n);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat("en-US", {
        timeZone: tz === "Local" ? undefined : tz,
        hourCycle: "h23",
        year: "numeric",
        month: "numeric",
        day: "numeric",
        hour: "numeric",
        minute: "numeric",
        second: "numeric",
        era: "short",
      });
    } catch {
      return fail(`unknown time zone ${tz}`);
    }
    formatters.set(tz, f);
  }
  return f;
}

/** calendar parts of instant `ns` in zone `tz` */
export function partsOf(ns: bigint, tz: string): Parts {
  let sec = ns / NS;
  let nanos = ns % NS;
  if (nanos < 0n) {
    nanos += NS;
    sec -= 1n;
  }
  const ms = Number(sec) * 1000;
  let offsetMin = 0;
  let zoneName = "UTC";
  let d = new Date(ms);
  if (tz !== "" && tz !== "UTC") {
    const parts = formatter(tz).formatToParts(d);
    const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
    let year = get("year");
    if (parts.find((p) => p.type === "era")?.value === "BC") year = 1 - year;
    const local = Date.UTC(2000, get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
    const localDate = new Date(local);
    localDate.setUTCFullYear(year);
    offsetMin = Math.round((localDate.getTime() - ms) / 60000);
    d = localDate;
    zoneName = tz;
  }
  const yday = Math.floor((Date.UTC(2000, d.getUTCMonth(), d.getUTCDate()) - Date.UTC(2000, 0, 1)) / 86400000) + 1 -
    (d.getUTCMonth() > 1 && !isLeap(d.getUTCFullYear()) ? 1 : 0);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    min: d.getUTCMinutes(),
    sec: d.getUTCSeconds(),
    nanos: Number(nanos),
    weekday: d.getUTCDay(),
    yday,
    offsetMin,
    zoneName,
  };
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** ns since epoch of a UTC calendar time (fields may overflow, Go-style normalisation) */
function epochNs(y: number, mo: number, d: number, h: number, mi: number, s: number, nanos: number, offsetMin = 0): bigint {
  const dt = new Date(0);
  dt.setUTCFullYear(y, mo - 1, d);
  dt.setUTCHours(h, mi, s, 0);
  const ms = dt.getTime();
  if (Number.isNaN(ms)) fail("time outside of valid range");
  return BigInt(ms / 1000) * NS + BigInt(nanos) - BigInt(offsetMin) * 60n * NS;
}

/** ns argument: number or [number, tz] (or [number, tz, layout] for time.format) */
function nsArg(name: string, v: Value, allowLayout = false): { ns: bigint; tz: string; layout?: string } {
  if (typeof v === "number") return { ns: toBig(v), tz: "UTC" };
  if (Array.isArray(v) && (v.length === 2 || (allowLayout && v.length === 3)) && typeof v[0] === "number") {
    if (typeof v[1] !== "string") got(name, "`ns` to be a `number` or `array[number, string]`", v);
    if (v.length === 3 && typeof v[2] !== "string") {
      fail(`\`${name}\` expects 3rd element of \`ns\` to be a \`string\`. Got \`${formatValue(v[2])}\` instead`);
    }
    return { ns: toBig(v[0]), tz: v[1] as string, layout: v[2] as string | undefined };
  }
  return got(name, "`ns` to be a `number` or `array[number, string]`", v);
}

function checkRange(ns: bigint): number {
  const lim = 9223372036854775807n;
  if (ns > lim || ns < -lim - 1n) fail("time outside of valid range");
  return fromBig(ns);
}

const UNITS: Record<string, number> = { ns: 1, us: 1e3, "µs": 1e3, "μs": 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

export function parseDuration(name: string, s: string): number {
  let rest = s;
  let sign = 1;
  if (rest[0] === "-" || rest[0] === "+") {
    sign = rest[0] === "-" ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  if (rest === "") fail(`\`${name}\` invalid duration ${JSON.stringify(s)}`);
  let total = 0;
  while (rest.length) {
    const m = /^([0-9]*(?:\.[0-9]*)?)([a-zµμ]+)/.exec(rest);
    if (!m || m[1] === "" || m[1] === ".") fail(`\`${name}\` invalid duration ${JSON.stringify(s)}`);
    const unit = UNITS[m![2]];
    if (unit === undefined) fail(`\`${name}\` unknown unit ${JSON.stringify(m![2])} in duration ${JSON.stringify(s)}`);
    total += Number(m![1]) * unit;
    rest = rest.slice(m![0].length);
  }
  return sign * Math.round(total);
}

export const timeBuiltins: BuiltinTable = {
  "time.parse_rfc3339_ns": def(1, ([v]) => {
    const s = str("time.parse_rfc3339_ns", v);
    const p = parseLayout("time.parse_rfc3339_ns", "2006-01-02T15:04:05Z07:00", s);
    return checkRange(epochNs(p.year, p.month, p.day, p.hour, p.min, p.sec, p.nanos, p.offsetMin ?? 0));
  }),
  "time.parse_ns": def(2, ([l, v]) => {
    const layout = str("time.parse_ns", l);
    const s = str("time.parse_ns", v);
    const p = parseLayout("time.parse_ns", layout, s);
    return checkRange(epochNs(p.year, p.month, p.day, p.hour, p.min, p.sec, p.nanos, p.offsetMin ?? 0));
  }),
  "time.parse_duration_ns": def(1, ([v]) => parseDuration("time.parse_duration_ns", str("time.parse_duration_ns", v))),
  "time.date": def(1, ([v]) => {
    const { ns, tz } = nsArg("time.date", v);
    const p = partsOf(ns, tz);
    return [p.year, p.month, p.day];
  }),
  "time.clock": def(1, ([v]) => {
    const { ns, tz } = nsArg("time.clock", v);
    const p = partsOf(ns, tz);
    return [p.hour, p.min, p.sec];
  }),
  "time.weekday": def(1, ([v]) => {
    const { ns, tz } = nsArg("time.weekday", v);
    return DAYS[partsOf(ns, tz).weekday];
  }),
  "time.add_date": def(4, ([v, y, m, d]) => {
    const { ns, tz } = nsArg("time.add_date", v);
    const p = partsOf(ns, tz);
    const out = epochNs(p.year + int("time.add_date", y), p.month + int("time.add_date", m), p.day + int("time.add_date", d), p.hour, p.min, p.sec, p.nanos, p.offsetMin);
    return checkRange(out);
  }),
  "time.diff": def(2, ([a, b]) => {
    const x = nsArg("time.diff", a);
    const y = nsArg("time.diff", b);
    let [t1, t2] = [partsOf(x.ns, x.tz), partsOf(y.ns, y.tz)];
    if (x.ns > y.ns) [t1, t2] = [t2, t1];
    let year = t2.year - t1.year;
    let month = t2.month - t1.month;
    let day = t2.day - t1.day;
    let hour = t2.hour - t1.hour;
    let min = t2.min - t1.min;
    let sec = t2.sec - t1.sec;
    if (sec < 0) {
      sec += 60;
      min--;
    }
    if (min < 0) {
      min += 60;
      hour--;
    }
    if (hour < 0) {
      hour += 24;
      day--;
    }
    if (day < 0) {
      const dt = new Date(0);
      dt.setUTCFullYear(t1.year, t1.month - 1, 32);
      day += 32 - dt.getUTCDate();
      month--;
    }
    if (month < 0) {
      month += 12;
      year--;
    }
    return [year, month, day, hour, min, sec];
  }),
  "time.format": def(1, ([v]) => {
    const { ns, tz, layout } = nsArg("time.format", v, true);
    return formatLayout(layout ?? "RFC3339Nano", partsOf(ns, tz));
  }),
};
