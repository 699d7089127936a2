import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type CalendarConfig,
  registrationDecisionDeadline,
  VIETNAM_CALENDAR,
  VIETNAM_CULTURE_DAY,
  vietnamCalendar,
  WorkingCalendar,
} from "./calendar.ts";
import { addDays } from "./dates.ts";

const cal = vietnamCalendar;

describe("Vietnam's announced days off", () => {
  it("skips the nine days of Tết 2026 (14/2–22/2)", () => {
    expect(cal.addWorkingDays("2026-02-13", 1)).toBe("2026-02-23");
    for (let d = "2026-02-14"; d <= "2026-02-22"; d = addDays(d, 1)) expect(cal.isWorkingDay(d)).toBe(false);
    expect(cal.nonWorkingReason("2026-02-17")).toEqual({ kind: "holiday", name: "Tết Nguyên đán Bính Ngọ" });
  });

  it("skips the nine days of Tết 2025 (25/1–2/2)", () => {
    expect(cal.addWorkingDays("2025-01-24", 1)).toBe("2025-02-03");
    expect(cal.workingDaysBetween("2025-01-24", "2025-02-03")).toBe(1);
  });

  it("counts a make-up Saturday as a working day and its swapped weekday as a day off", () => {
    expect(cal.addWorkingDays("2025-04-25", 1)).toBe("2025-04-26");
    expect(cal.isWorkingDay("2025-05-02")).toBe(false);
    expect(cal.nonWorkingReason("2025-05-02")?.kind).toBe("swap");
    expect(cal.addWorkingDays("2026-01-09", 1)).toBe("2026-01-10");
    expect(cal.isWorkingDay("2026-01-02")).toBe(false);
    expect(cal.addWorkingDays("2026-08-21", 1)).toBe("2026-08-22");
  });

  it("gives Monday off when Hùng Kings' day falls on a Sunday (2026)", () => {
    expect(cal.nonWorkingReason("2026-04-27")?.kind).toBe("compensatory");
    expect(cal.addWorkingDays("2026-04-24", 1)).toBe("2026-04-28");
  });

  it("takes 30/4–1/5 and National Day with its adjacent day and swap off", () => {
    expect(cal.addWorkingDays("2026-04-29", 1)).toBe("2026-05-04");
    expect(cal.addWorkingDays("2026-08-28", 1)).toBe("2026-09-03");
    expect(cal.nonWorkingReason("2025-09-01")?.kind).toBe("adjacent");
    expect(cal.isWorkingDay("2025-09-03")).toBe(true);
  });

  it("calls ordinary Saturdays and Sundays weekends", () => {
    expect(cal.nonWorkingReason("2026-01-03")).toEqual({ kind: "weekend", name: "Nghỉ hằng tuần" });
    expect(cal.isWorkingDay("2026-03-09")).toBe(true);
  });

  it("reports announced years as scheduled, with confidence and sources", () => {
    expect(cal.coverage(2025)).toBe("scheduled");
    expect(cal.coverage(2026)).toBe("scheduled");
    expect(cal.schedule(2026)?.confidence).toBe("reported");
    expect(cal.schedule(2026)?.sources.length).toBeGreaterThan(0);
    expect(cal.coverage(2027)).toBe("estimated");
  });
});

describe("years without a schedule (estimated)", () => {
  it("puts the National Day neighbour after 2/9 on a Thursday (2027) and before it on a Tuesday (2031)", () => {
    expect(cal.nonWorkingReason("2027-09-03")?.kind).toBe("adjacent");
    expect(cal.isWorkingDay("2027-09-01")).toBe(true);
    expect(cal.nonWorkingReason("2031-09-01")?.kind).toBe("adjacent");
  });

  it("moves a holiday on a Saturday to the next Monday (1/1/2028)", () => {
    expect(cal.nonWorkingReason("2028-01-03")?.kind).toBe("compensatory");
    expect(cal.isWorkingDay("2028-01-04")).toBe(true);
  });

  it("moves 30/4 on a Sunday past 1/5 on the Monday (2028: Tuesday 2/5 off)", () => {
    expect(cal.isWorkingDay("2028-05-01")).toBe(false);
    expect(cal.nonWorkingReason("2028-05-02")?.kind).toBe("compensatory");
    expect(cal.isWorkingDay("2028-05-03")).toBe(true);
  });

  it("gives two compensatory days when 2/9 is a Sunday and its neighbour the Saturday before (2029)", () => {
    expect(cal.nonWorkingReason("2029-09-03")?.kind).toBe("compensatory");
    expect(cal.nonWorkingReason("2029-09-04")?.kind).toBe("compensatory");
    expect(cal.isWorkingDay("2029-09-05")).toBe(true);
  });

  it("adds a fixed holiday only from the date it applies (Culture Day from 2027)", () => {
    const withCulture = new WorkingCalendar({
      ...VIETNAM_CALENDAR,
      fixedHolidays: [...VIETNAM_CALENDAR.fixedHolidays, { ...VIETNAM_CULTURE_DAY, from: "2027-01-01" }],
    });
    expect(withCulture.isWorkingDay("2026-11-24")).toBe(true);
    expect(withCulture.isWorkingDay("2027-11-24")).toBe(false);
  });
});

describe("counting", () => {
  const date = fc.integer({ min: 0, max: 4 * 366 }).map((n) => addDays("2024-06-01", n));
  const days = fc.integer({ min: -60, max: 60 }).filter((n) => n !== 0);

  it("workingDaysBetween undoes addWorkingDays, both ways", () => {
    fc.assert(
      fc.property(date, days, (d, n) => {
        const to = cal.addWorkingDays(d, n);
        expect(cal.isWorkingDay(to)).toBe(true);
        expect(cal.workingDaysBetween(d, to)).toBe(n);
      }),
    );
  });

  it("adds working days one at a time the same as all at once", () => {
    fc.assert(
      fc.property(date, fc.integer({ min: 1, max: 30 }), (d, n) => {
        let step = d;
        for (let i = 0; i < n; i++) step = cal.nextWorkingDay(step);
        expect(cal.addWorkingDays(d, n)).toBe(step);
      }),
    );
  });

  it("with zero days gives the date itself on a working day and the next working day otherwise", () => {
    expect(cal.addWorkingDays("2026-03-09", 0)).toBe("2026-03-09");
    expect(cal.addWorkingDays("2026-02-14", 0)).toBe("2026-02-23");
    expect(cal.workingDaysBetween("2026-03-09", "2026-03-09")).toBe(0);
  });

  it("refuses a fractional number of days", () => {
    expect(() => cal.addWorkingDays("2026-03-09", 1.5)).toThrow(RangeError);
  });
});

describe("deadlines in working days", () => {
  it("gives a registration received on the eve of Tết until the end of the first day back", () => {
    const deadline = registrationDecisionDeadline(new Date("2026-02-13T16:30:00+07:00"));
    expect(deadline.toISOString()).toBe(new Date("2026-02-24T00:00:00+07:00").toISOString());
  });

  it("starts counting on the day after receipt, in Vietnam time", () => {
    // 23:30 on Monday 9/3 in Hanoi is still Monday: due by the end of Tuesday.
    expect(registrationDecisionDeadline(new Date("2026-03-09T23:30:00+07:00")).toISOString()).toBe(
      "2026-03-10T17:00:00.000Z",
    );
    // 00:30 on Tuesday in Hanoi (17:30 UTC on Monday) is Tuesday: due by the end of Wednesday.
    expect(registrationDecisionDeadline(new Date("2026-03-09T17:30:00Z")).toISOString()).toBe(
      "2026-03-11T17:00:00.000Z",
    );
  });

  it("runs a period started on a Saturday from the Monday", () => {
    expect(registrationDecisionDeadline(new Date("2026-03-07T10:00:00+07:00")).toISOString()).toBe(
      new Date("2026-03-10T00:00:00+07:00").toISOString(),
    );
  });

  it("always ends after the event and right after a working day", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.parse("2024-01-01"), max: Date.parse("2028-12-31") }),
        fc.integer({ min: 1, max: 10 }),
        (ms, n) => {
          const at = new Date(ms);
          const end = cal.deadlineAfter(at, n);
          expect(end.getTime()).toBeGreaterThan(at.getTime() + 86_400_000);
          expect(cal.isWorkingDay(new Date(end.getTime() - 1))).toBe(true);
          expect(cal.workingDaysBetween(at, new Date(end.getTime() - 1))).toBe(n);
        },
      ),
    );
  });

  it("refuses a period of zero working days", () => {
    expect(() => cal.deadlineAfter(new Date(), 0)).toThrow(RangeError);
  });
});

describe("configuration", () => {
  const base: CalendarConfig = { ...VIETNAM_CALENDAR, years: [] };

  it("refuses a make-up day that is not a rest day", () => {
    const bad = { year: 2030, confidence: "official", sources: [], daysOff: [] } as const;
    expect(
      () =>
        new WorkingCalendar({
          ...base,
          years: [{ ...bad, makeUpDays: [{ date: "2030-01-07", name: "x" }] }],
        }),
    ).toThrow(/not a rest day/);
  });

  it("refuses a date filed under another year", () => {
    expect(
      () =>
        new WorkingCalendar({
          ...base,
          years: [
            {
              year: 2030,
              confidence: "official",
              sources: [],
              makeUpDays: [],
              daysOff: [{ date: "2031-01-02", name: "x", kind: "swap" }],
            },
          ],
        }),
    ).toThrow(/another year/);
  });

  it("works with another weekend and no holidays", () => {
    const plain = new WorkingCalendar({
      weekend: [0],
      fixedHolidays: [],
      compensateRestDayHolidays: false,
      years: [],
    });
    expect(plain.isWorkingDay("2026-03-07")).toBe(true);
    expect(plain.addWorkingDays("2026-03-07", 1)).toBe("2026-03-09");
  });
});
