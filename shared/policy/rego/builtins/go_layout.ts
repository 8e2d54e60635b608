// Go reference-time layouts ("2006-01-02T15:04:05Z07:00") for time.parse_ns
// and time.format.

import { fail } from "./builtin.ts";

const TOKENS = [
  "January", "Monday", "2006", "Z07:00", "-07:00", "Z0700", "-0700", "Jan", "Mon", "MST", "Z07", "-07",
  "002", "__2", "_2", "01", "02", "03", "04", "05", "06", "15", "PM", "pm", "1", "2", "3", "4", "5",
];

export const NAMED_LAYOUTS: Record<string, string> = {
  ANSIC: "Mon Jan _2 15:04:05 2006",
  UnixDate: "Mon Jan _2 15:04:05 MST 2006",
  RubyDate: "Mon Jan 02 15:04:05 -0700 2006",
  RFC822: "02 Jan 06 15:04 MST",
  RFC822Z: "02 Jan 06 15:04 -0700",
  RFC850: "Monday, 02-Jan-06 15:04:05 MST",
  RFC1123: "Mon, 02 Jan 2006 15:04:05 MST",
  RFC1123Z: "Mon, 02 Jan 2006 15:04:05 -0700",
  RFC3339: "2006-01-02T15:04:05Z07:00",
  RFC3339Nano: "2006-01-02T15:04:05.999999999Z07:00",
  Kitchen: "3:04PM",
  Stamp: "Jan _2 15:04:05",
  StampMilli: "Jan _2 15:04:05.000",
  StampMicro: "Jan _2 15:04:05.000000",
  StampNano: "Jan _2 15:04:05.000000000",
  DateTime: "2006-01-02 15:04:05",
  DateOnly: "2006-01-02",
  TimeOnly: "15:04:05",
};

export const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
export const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

type Tok = { lit: string } | { tok: string } | { frac: string; digits: number };

export function tokenizeLayout(layout: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  let lit = "";
  const flush = () => {
    if (lit) out.push({ lit });
    lit = "";
  };
  while (i < layout.length) {
    const ch = layout[i];
    if ((ch === "." || ch === ",") && (layout[i + 1] === "0" || layout[i + 1] === "9")) {
      const d = layout[i + 1];
      let j = i + 1;
      while (layout[j] === d) j++;
      if (!/[0-9]/.test(layout[j] ?? "")) {
        flush();
        out.push({ frac: d, digits: j - i - 1 });
        i = j;
        continue;
      }
    }
    const t = TOKENS.find((x) => layout.startsWith(x, i));
    if (t) {
      flush();
      out.push({ tok: t });
      i += t.length;
      continue;
    }
    lit += ch;
    i++;
  }
  flush();
  return out;
}

export interface Parts {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  min: number;
  sec: number;
  nanos: number;
  weekday: number; // 0 = Sunday
  yday: number;
  offsetMin: number;
  zoneName: string;
}

const pad = (n: number, w: number) => String(Math.abs(n)).padStart(w, "0");

function offsetStr(off: number, colon: boolean, secs: boolean, z: boolean): string {
  if (z && off === 0) return "Z";
  const sign = off < 0 ? "-" : "+";
  const a = Math.abs(off);
  const h = pad(Math.floor(a / 60), 2);
  const m = pad(a % 60, 2);
  if (!secs && !colon && h && m === "00" && false) return sign + h;
  return colon ? `${sign}${h}:${m}` : `${sign}${h}${m}`;
}

export function formatLayout(layout: string, p: Parts): string {
  let s = "";
  for (const t of tokenizeLayout(NAMED_LAYOUTS[layout] ?? layout)) {
    if ("lit" in t) {
      s += t.lit;
      continue;
    }
    if ("frac" in t) {
      const ns = pad(p.nanos, 9);
      if (t.frac === "0") s += "." + ns.slice(0, t.digits);
      else {
        const trimmed = ns.slice(0, t.digits).replace(/0+$/, "");
        if (trimmed) s += "." + trimmed;
      }
      continue;
    }
    const h12 = p.hour % 12 === 0 ? 12 : p.hour % 12;
    switch (t.tok) {
      case "2006": s += pad(p.year, 4); break;
      case "06": s += pad(p.year % 100, 2); break;
      case "01": s += pad(p.month, 2); break;
      case "1": s += String(p.month); break;
      case "January": s += MONTHS[p.month - 1]; break;
      case "Jan": s += MONTHS[p.month - 1].slice(0, 3); break;
      case "02": s += pad(p.day, 2); break;
      case "2": s += String(p.day); break;
      case "_2": s += String(p.day).padStart(2, " "); break;
      case "002": s += pad(p.yday, 3); break;
      case "__2": s += String(p.yday).padStart(3, " "); break;
      case "15": s += pad(p.hour, 2); break;
      case "03": s += pad(h12, 2); break;
      case "3": s += String(h12); break;
      case "04": s += pad(p.min, 2); break;
      case "4": s += String(p.min); break;
      case "05": s += pad(p.sec, 2); break;
      case "5": s += String(p.sec); break;
      case "PM": s += p.hour >= 12 ? "PM" : "AM"; break;
      case "pm": s += p.hour >= 12 ? "pm" : "am"; break;
      case "Monday": s += DAYS[p.weekday]; break;
      case "Mon": s += DAYS[p.weekday].slice(0, 3); break;
      case "MST": s += p.zoneName; break;
      case "Z07:00": s += offsetStr(p.offsetMin, true, false, true); break;
      case "-07:00": s += offsetStr(p.offsetMin, true, false, false); break;
      case "Z0700": s += offsetStr(p.offsetMin, false, false, true); break;
      case "-0700": s += offsetStr(p.offsetMin, false, false, false); break;
      case "Z07": s += p.offsetMin === 0 ? "Z" : offsetStr(p.offsetMin, false, false, false).slice(0, 3); break;
      case "-07": s += offsetStr(p.offsetMin, false, false, false).slice(0, 3); break;
    }
  }
  return s;
}

export interface Parsed {
  year: number;
  month: number;
  day: number;
  hour: number;
  min: number;
  sec: number;
  nanos: number;
  /** minutes east of UTC; undefined = UTC */
  offsetMin?: number;
}

export function parseLayout(name: string, layout: string, value: string): Parsed {
  const r: Parsed = { year: 1, month: 1, day: 1, hour: 0, min: 0, sec: 0, nanos: 0 };
  let pm: boolean | undefined;
  let i = 0;
  const bad = (): never => fail(`\`${name}\` could not parse "${value}" as "${layout}"`);
  const digits = (min: number, max: number): number => {
    let j = i;
    while (j < value.length && j - i < max && value[j] >= "0" && value[j] <= "9") j++;
    if (j - i < min) bad();
    const n = Number(value.slice(i, j));
    i = j;
    return n;
  };
  const word = (list: string[], len?: number): number => {
    const idx = list.findIndex((w) => value.startsWith(len ? w.slice(0, len) : w, i));
    if (idx < 0) bad();
    i += len ?? list[idx].length;
    return idx;
  };
  const offset = (colon: boolean, z: boolean, short: boolean) => {
    if (z && value[i] === "Z") {
      i++;
      r.offsetMin = 0;
      return;
    }
    const sign = value[i] === "-" ? -1 : value[i] === "+" ? 1 : bad();
    i++;
    const h = digits(2, 2);
    let m = 0;
    if (!short) {
      if (colon) {
        if (value[i] !== ":") bad();
        i++;
      }
      m = digits(2, 2);
    }
    r.offsetMin = sign * (h * 60 + m);
  };
  for (const t of tokenizeLayout(NAMED_LAYOUTS[layout] ?? layout)) {
    if ("lit" in t) {
      if (!value.startsWith(t.lit, i)) bad();
      i += t.lit.length;
      continue;
    }
    if ("frac" in t) {
      if (value[i] === "." || value[i] === ",") {
        i++;
        const start = i;
        while (i < value.length && value[i] >= "0" && value[i] <= "9") i++;
        r.nanos = Number((value.slice(start, i) + "000000000").slice(0, 9));
      } else if (t.frac === "0") bad();
      continue;
    }
    switch (t.tok) {
      case "2006": r.year = digits(4, 4); break;
      case "06": r.year = 2000 + digits(2, 2); if (r.year >= 2069) r.year -= 100; break;
      case "01": r.month = digits(2, 2); break;
      case "1": r.month = digits(1, 2); break;
      case "January": r.month = word(MONTHS) + 1; break;
      case "Jan": r.month = word(MONTHS, 3) + 1; break;
      case "02": r.day = digits(2, 2); break;
      case "2": r.day = digits(1, 2); break;
      case "_2": if (value[i] === " ") i++; r.day = digits(1, 2); break;
      case "002": case "__2": digits(1, 3); break;
      case "15": r.hour = digits(1, 2); break;
      case "03": r.hour = digits(2, 2); break;
      case "3": r.hour = digits(1, 2); break;
      case "04": r.min = digits(2, 2); break;
      case "4": r.min = digits(1, 2); break;
      case "05": r.sec = digits(2, 2); if (value[i] === "." && /[0-9]/.test(value[i + 1] ?? "")) { i++; const s = i; while (/[0-9]/.test(value[i] ?? "")) i++; r.nanos = Number((value.slice(s, i) + "000000000").slice(0, 9)); } break;
      case "5": r.sec = digits(1, 2); break;
      case "PM": case "pm": pm = word(["PM", "AM", "pm", "am"]) % 2 === 0; break;
      case "Monday": word(DAYS); break;
      case "Mon": word(DAYS, 3); break;
      case "MST": { const m = /^[A-Z]{3,5}/.exec(value.slice(i)); if (!m) bad(); i += m![0].length; if (m![0] === "UTC" || m![0] === "GMT") r.offsetMin = 0; break; }
      case "Z07:00": offset(true, true, false); break;
      case "-07:00": offset(true, false, false); break;
      case "Z0700": offset(false, true, false); break;
      case "-0700": offset(false, false, false); break;
      case "Z07": offset(false, true, true); break;
      case "-07": offset(false, false, true); break;
    }
  }
  if (i !== value.length) bad();
  if (pm !== undefined) {
    if (pm && r.hour < 12) r.hour += 12;
    if (!pm && r.hour === 12) r.hour = 0;
  }
  if (r.month < 1 || r.month > 12 || r.day < 1 || r.day > 31 || r.hour > 23 || r.min > 59 || r.sec > 59) bad();
  return r;
}
