import { describe, expect, it } from "vitest";
import { WorkingCalendar } from "../domain/calendar.ts";
import { reminderDates, remindersDue, reviewDeadline } from "./deadlines.ts";

describe("reviewDeadline (answer to 01/TB-RSĐT, THan working days)", () => {
  it("skips the weekend: Friday + 3 working days is the next Wednesday", () => {
    const due = reviewDeadline("2026-03-06", 3);
    expect(due.dueDate).toBe("2026-03-11");
    expect(due.dueBefore.toISOString()).toBe("2026-03-11T17:00:00.000Z"); // 00:00 GMT+7 on the 12th
  });

  it("skips Tết 2026 (14/2–22/2): Friday 13/2 + 2 working days is Tuesday 24/2", () => {
    expect(reviewDeadline("2026-02-13", 2).dueDate).toBe("2026-02-24");
  });

  it("skips 30/4–1/5 2025 and the swapped Friday 2/5", () => {
    expect(reviewDeadline("2025-04-29", 2).dueDate).toBe("2025-05-06");
  });

  it("follows the calendar it is given (no holidays: plain weekdays)", () => {
    const plain = new WorkingCalendar({
      weekend: [0, 6],
      fixedHolidays: [],
      years: [],
      compensateRestDayHolidays: false,
    });
    expect(reviewDeadline("2026-02-13", 2, plain).dueDate).toBe("2026-02-17");
  });

  it("refuses a malformed date or a day count below one", () => {
    expect(() => reviewDeadline("2026-02-30", 2)).toThrow(RangeError);
    expect(() => reviewDeadline("2026-02-13", 0)).toThrow(RangeError);
  });
});

describe("remindersDue", () => {
  const due = "2026-03-11"; // Wednesday
  const at = (vnDateTime: string) => new Date(`${vnDateTime}+07:00`);

  it("fires from 3 working days before, 1 working day before, on the day, then overdue", () => {
    expect(reminderDates(due)).toEqual({
      "three-working-days-before": "2026-03-06",
      "one-working-day-before": "2026-03-10",
      "due-today": "2026-03-11",
      overdue: "2026-03-12",
    });
    expect(remindersDue(due, at("2026-03-05T09:00:00"))).toEqual([]);
    expect(remindersDue(due, at("2026-03-09T09:00:00"))).toEqual(["three-working-days-before"]);
    expect(remindersDue(due, at("2026-03-10T09:00:00"))).toEqual([
      "three-working-days-before",
      "one-working-day-before",
    ]);
    expect(remindersDue(due, at("2026-03-11T23:59:00"))).toEqual([
      "three-working-days-before",
      "one-working-day-before",
      "due-today",
    ]);
    expect(remindersDue(due, at("2026-03-12T00:00:00"))).toEqual(["overdue"]);
  });

  it("counts the days before in working days: a Monday deadline is reminded the Friday before", () => {
    expect(reminderDates("2026-03-16")["one-working-day-before"]).toBe("2026-03-13");
  });
});
