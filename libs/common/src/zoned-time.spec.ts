import { canonicalTimeZone, formatInZone, zonedDay, zoneOffsetMinutes } from './zoned-time';

describe('time zones', () => {
  it('accepts IANA names (canonicalised) and refuses offsets, abbreviations and made-up zones', () => {
    expect(canonicalTimeZone('Europe/Berlin')).toBe('Europe/Berlin');
    expect(canonicalTimeZone('america/new_york')).toBe('America/New_York');
    expect(canonicalTimeZone('UTC')).toBe('UTC');
    expect(canonicalTimeZone('utc')).toBe('UTC');
    for (const bad of ['Mars/Olympus_Mons', '+02:00', 'CET', 'EST', '', 'Europe/Berlin; DROP', 'a'.repeat(100)]) expect(canonicalTimeZone(bad)).toBeUndefined();
  });

  it('formats an instant in its zone with the offset in force then (DST included)', () => {
    const winter = new Date('2026-12-08T22:59:00Z');
    const summer = new Date('2026-07-08T21:59:00Z');
    expect(formatInZone(winter, 'Europe/Berlin')).toBe('2026-12-08T23:59:00.000+01:00');
    expect(formatInZone(summer, 'Europe/Berlin')).toBe('2026-07-08T23:59:00.000+02:00');
    expect(formatInZone(winter, 'America/St_Johns')).toBe('2026-12-08T19:29:00.000-03:30');
    expect(formatInZone(winter, 'UTC')).toBe('2026-12-08T22:59:00.000Z');
    expect(new Date(formatInZone(summer, 'Asia/Kolkata')).getTime()).toBe(summer.getTime());
    expect(zoneOffsetMinutes(summer, 'Asia/Kolkata')).toBe(330);
  });

  it("gives the zone's day: from its midnight to the next, across a DST change too", () => {
    // 23:30 UTC on 2 Dec is already 3 Dec in Berlin.
    const { start, resetsAt } = zonedDay(new Date('2026-12-02T23:30:00Z'), 'Europe/Berlin');
    expect(start.toISOString()).toBe('2026-12-02T23:00:00.000Z');
    expect(resetsAt.toISOString()).toBe('2026-12-03T23:00:00.000Z');
    // The day DST starts in New York (8 March 2026) has 23 hours.
    const dst = zonedDay(new Date('2026-03-08T12:00:00Z'), 'America/New_York');
    expect(dst.start.toISOString()).toBe('2026-03-08T05:00:00.000Z');
    expect(dst.resetsAt.toISOString()).toBe('2026-03-09T04:00:00.000Z');
    expect(zonedDay(new Date('2026-12-31T12:00:00Z'), 'UTC').resetsAt.toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });
});
