/**
 * Times in a named (IANA) time zone, with the platform's Intl data only: times are stored in UTC and
 * shown with their zone (ISO 8601 with the zone's offset at that instant, so DST is handled).
 */

const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){0,2}$/;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(timeZone, f);
  }
  return f;
}

/**
 * The zone's canonical name ("europe/berlin" -> "Europe/Berlin", "utc" -> "UTC"), or undefined when
 * it is not an IANA zone this runtime knows (offsets like "+02:00" and abbreviations like "CET" are
 * not accepted: they do not follow daylight saving).
 */
export function canonicalTimeZone(name: string): string | undefined {
  if (typeof name !== 'string' || name.length > 64 || !ZONE_NAME.test(name)) return undefined;
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
  if (resolved === 'UTC' || resolved === 'Etc/UTC') return 'UTC';
  // Abbreviations Intl accepts as legacy links (EST, CET, ...) name no place: refuse them.
  if (!name.includes('/')) return undefined;
  return resolved;
}

/** Wall-clock fields of an instant in a zone. */
function wall(at: Date, timeZone: string) {
  const parts = Object.fromEntries(formatter(timeZone).formatToParts(at).map((p) => [p.type, p.value]));
  return { y: +parts.year, m: +parts.month, d: +parts.day, h: +parts.hour, min: +parts.minute, s: +parts.second };
}

/** The zone's offset from UTC at that instant, in minutes (east positive). */
export function zoneOffsetMinutes(at: Date, timeZone: string): number {
  const w = wall(at, timeZone);
  const asUtc = Date.UTC(w.y, w.m - 1, w.d, w.h, w.min, w.s);
  return Math.round((asUtc - Math.floor(at.getTime() / 1000) * 1000) / 60_000);
}

const pad = (n: number, w = 2) => String(Math.abs(n)).padStart(w, '0');

/** ISO 8601 in the zone, with its offset: 2026-12-08T23:59:00.000+01:00 (UTC: ...Z). */
export function formatInZone(at: Date, timeZone: string): string {
  const w = wall(at, timeZone);
  const off = zoneOffsetMinutes(at, timeZone);
  const zone = timeZone === 'UTC' ? 'Z' : `${off < 0 ? '-' : '+'}${pad(Math.trunc(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
  return `${pad(w.y, 4)}-${pad(w.m)}-${pad(w.d)}T${pad(w.h)}:${pad(w.min)}:${pad(w.s)}.${pad(at.getUTCMilliseconds(), 3)}${zone}`;
}

/** The instant of a wall-clock midnight (y, m, d) in the zone. */
function midnight(y: number, m: number, d: number, timeZone: string): Date {
  const naive = Date.UTC(y, m - 1, d);
  let t = naive - zoneOffsetMinutes(new Date(naive), timeZone) * 60_000;
  // Once more with the offset at the guess (the offset may differ across a DST change).
  t = naive - zoneOffsetMinutes(new Date(t), timeZone) * 60_000;
  return new Date(t);
}

/** The day (in the zone) that `now` falls in: its start and the next midnight there, as instants. */
export function zonedDay(now: Date, timeZone: string): { start: Date; resetsAt: Date } {
  const w = wall(now, timeZone);
  return { start: midnight(w.y, w.m, w.d, timeZone), resetsAt: midnight(w.y, w.m, w.d + 1, timeZone) };
}
