import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  addDays,
  compareDates,
  dateOf,
  dateTimeToInstant,
  dayNumber,
  daysBetween,
  daysInMonth,
  formatDate,
  instantToDate,
  instantToDateTime,
  isDate,
  isDateTime,
  isDateWithin,
  parseDate,
  parseDateTime,
  startOfDateInstant,
  validateDate,
  validateDateTime,
  yearOf,
} from "./dates.ts";

describe("calendar dates", () => {
  it("accepts real dates written YYYY-MM-DD", () => {
    for (const d of ["2025-06-01", "2024-02-29", "2000-02-29", "1999-12-31", "2026-07-01"]) {
      expect(isDate(d)).toBe(true);
    }
    expect(parseDate("2024-02-29")).toEqual({ year: 2024, month: 2, day: 29 });
  });

  it("refuses impossible dates and other forms", () => {
    for (const d of [
      "2023-02-29",
      "1900-02-29",
      "2024-13-01",
      "2024-00-10",
      "2024-04-31",
      "2024-01-00",
      "0000-01-01",
      "24-01-01",
      "2024-1-01",
      "2024/01/01",
      "01/01/2024",
      "2024-01-01T00:00:00",
      " 2024-01-01",
      "",
    ]) {
      expect(isDate(d), d).toBe(false);
    }
  });

  it("reports a malformed date with DATE_FORMAT at the given path", () => {
    expect(validateDate("2024-01-01", "/NLap")).toEqual([]);
    const [p] = validateDate("2023-02-29", "/HDon/DLHDon/TTChung/NLap");
    expect(p?.code).toBe("DATE_FORMAT");
    expect(p?.path).toBe("/HDon/DLHDon/TTChung/NLap");
    expect(p?.params).toEqual({ value: "2023-02-29" });
  });

  it("knows month lengths and leap years", () => {
    expect(daysInMonth(2024, 2)).toBe(29);
    expect(daysInMonth(2100, 2)).toBe(28);
    expect(daysInMonth(2025, 4)).toBe(30);
    expect(daysInMonth(2025, 12)).toBe(31);
  });

  it("compares, tests ranges and reads the year", () => {
    expect(compareDates("2025-05-31", "2025-06-01")).toBe(-1);
    expect(compareDates("2025-06-01", "2025-06-01")).toBe(0);
    expect(compareDates("2026-01-01", "2025-12-31")).toBe(1);
    expect(isDateWithin("2025-06-01", "2025-06-01", "2026-06-30")).toBe(true);
    expect(isDateWithin("2026-06-30", "2025-06-01", "2026-06-30")).toBe(true);
    expect(isDateWithin("2026-07-01", "2025-06-01", "2026-06-30")).toBe(false);
    expect(isDateWithin("1990-01-01", undefined, "2022-06-30")).toBe(true);
    expect(isDateWithin("2030-01-01", "2026-07-01", undefined)).toBe(true);
    expect(yearOf("2025-06-23")).toBe(2025);
    expect(yearOf("2021-11-05T14:48:47")).toBe(2021);
  });

  it("adds days across months, years and leap days", () => {
    expect(addDays("2024-02-28", 1)).toBe("2024-02-29");
    expect(addDays("2023-02-28", 1)).toBe("2023-03-01");
    expect(addDays("2025-12-31", 1)).toBe("2026-01-01");
    expect(addDays("2025-06-01", -1)).toBe("2025-05-31");
    expect(daysBetween("2025-06-01", "2026-06-30")).toBe(394);
    expect(dayNumber("1970-01-01")).toBe(0);
    expect(dayNumber("2000-03-01")).toBe(11_017);
  });

  it("throws on arithmetic with a malformed date (a bug, not a user error)", () => {
    expect(() => addDays("2023-02-29", 1)).toThrow(RangeError);
  });

  it("agrees with the JavaScript calendar for any date (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -200_000, max: 200_000 }),
        fc.integer({ min: -1000, max: 1000 }),
        (n, k) => {
          const d = new Date(n * 86_400_000).toISOString().slice(0, 10);
          expect(dayNumber(d)).toBe(n);
          expect(isDate(d)).toBe(true);
          const later = addDays(d, k);
          expect(later).toBe(new Date((n + k) * 86_400_000).toISOString().slice(0, 10));
          expect(daysBetween(d, later)).toBe(k);
          expect(compareDates(d, later)).toBe(k > 0 ? -1 : k < 0 ? 1 : 0);
        },
      ),
    );
  });

  it("formats parts back to the same text (property)", () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date("1000-01-01"), max: new Date("9999-12-31"), noInvalidDate: true }),
        (dt) => {
          const text = dt.toISOString().slice(0, 10);
          const parts = parseDate(text);
          expect(parts && formatDate(parts)).toBe(text);
        },
      ),
    );
  });
});

describe("date-times in Vietnam time (GMT+7)", () => {
  it("accepts the format's date-time and refuses zones, fractions and impossible times", () => {
    expect(isDateTime("2021-11-05T14:48:47")).toBe(true);
    expect(parseDateTime("2022-01-17T07:00:00")).toEqual({
      year: 2022,
      month: 1,
      day: 17,
      hour: 7,
      minute: 0,
      second: 0,
    });
    for (const t of [
      "2021-11-05 14:48:47",
      "2021-11-05T14:48:47Z",
      "2021-11-05T14:48:47+07:00",
      "2021-11-05T14:48:47.123",
      "2021-11-05T24:00:00",
      "2021-11-05T23:60:00",
      "2021-11-05T23:59:60",
      "2023-02-29T10:00:00",
      "2021-11-05",
    ]) {
      expect(isDateTime(t), t).toBe(false);
    }
    expect(validateDateTime("2021-11-05T14:48:47", "/x")).toEqual([]);
    expect(validateDateTime("2021-11-05T14:48", "/x")[0]?.code).toBe("DATE_TIME_FORMAT");
    expect(dateTimeToInstant("2021-11-05T14:48")).toBeUndefined();
  });

  it("reads a date-time as GMT+7", () => {
    expect(dateTimeToInstant("2026-04-03T19:49:43")?.toISOString()).toBe("2026-04-03T12:49:43.000Z");
    expect(dateTimeToInstant("2026-04-03T00:00:00")?.toISOString()).toBe("2026-04-02T17:00:00.000Z");
    expect(startOfDateInstant("2026-04-03").toISOString()).toBe("2026-04-02T17:00:00.000Z");
  });

  it("gives the Vietnam date of a portal UTC instant (tdlap 17:00Z is the next local day)", () => {
    expect(instantToDate(new Date("2026-04-02T17:00:00Z"))).toBe("2026-04-03");
    expect(instantToDate(new Date("2026-04-02T16:59:59Z"))).toBe("2026-04-02");
    expect(instantToDateTime(new Date("2026-04-03T12:49:45.757Z"))).toBe("2026-04-03T19:49:45");
    expect(dateOf("2026-04-03T19:49:45")).toBe("2026-04-03");
  });

  it("round-trips an instant (whole seconds) through the format (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: -2_000_000_000, max: 8_000_000_000 }), (seconds) => {
        const instant = new Date(seconds * 1000);
        const text = instantToDateTime(instant);
        expect(isDateTime(text)).toBe(true);
        expect(dateTimeToInstant(text)?.getTime()).toBe(instant.getTime());
        expect(instantToDate(instant)).toBe(dateOf(text));
      }),
    );
  });

  it("refuses an invalid Date instant", () => {
    expect(() => instantToDate(new Date(Number.NaN))).toThrow(RangeError);
  });
});
