/**
 * Deadlines of the seller's corrections: the answer to the tax authority's 01/TB-RSĐT (message 302), whose
 * THan gives the number of days the seller has to review the listed invoices and answer with a 04/SS-HĐĐT
 * (Loai 2). The days are counted as working days of the public-service calendar (domain/calendar.ts), from
 * the day after the notice (Civil Code 2015 art. 147), and the last day counts whole (art. 148).
 *
 * Reminders are plain values: `remindersDue` says which should have fired by `now`; the service records
 * which it sent and sends the others, so a reminder missed while the service was down still goes out.
 */
import { vietnamCalendar, type WorkingCalendar } from "../domain/calendar.ts";
import { addDays, instantToDate, isDate } from "../domain/dates.ts";

export interface ReviewDeadline {
  /** The last day (Vietnam date) on which the answer is in time. */
  dueDate: string;
  /** 00:00 GMT+7 after the last day: an answer strictly before this instant is in time. */
  dueBefore: Date;
}

/**
 * When the answer to a 302 notice dated `noticeDate` (YYYY-MM-DD) with THan = `days` is due. Throws a
 * RangeError for a malformed date or a day count below 1 (validate the notice first).
 */
export function reviewDeadline(
  noticeDate: string,
  days: number,
  calendar: WorkingCalendar = vietnamCalendar,
): ReviewDeadline {
  if (!isDate(noticeDate)) throw new RangeError(`reviewDeadline: not a date: ${JSON.stringify(noticeDate)}`);
  if (!Number.isSafeInteger(days) || days < 1) throw new RangeError(`reviewDeadline: bad day count ${days}`);
  const dueDate = calendar.addWorkingDays(noticeDate, days);
  return { dueDate, dueBefore: calendar.deadlineAfter(new Date(`${noticeDate}T12:00:00+07:00`), days) };
}

/** Reminders of a deadline, in the order they fire. */
export type ReminderKind = "three-working-days-before" | "one-working-day-before" | "due-today" | "overdue";

export const REMINDER_KINDS: readonly ReminderKind[] = [
  "three-working-days-before",
  "one-working-day-before",
  "due-today",
  "overdue",
];

/** The Vietnam date from which each reminder is due, for a deadline's last day. */
export function reminderDates(
  dueDate: string,
  calendar: WorkingCalendar = vietnamCalendar,
): Record<ReminderKind, string> {
  return {
    "three-working-days-before": calendar.addWorkingDays(dueDate, -3),
    "one-working-day-before": calendar.addWorkingDays(dueDate, -1),
    "due-today": dueDate,
    overdue: addDays(dueDate, 1),
  };
}

/**
 * The reminders that should have fired by `now` for a deadline whose last day is `dueDate`. Once overdue,
 * only "overdue" is returned: earlier reminders are moot.
 */
export function remindersDue(
  dueDate: string,
  now: Date,
  calendar: WorkingCalendar = vietnamCalendar,
): ReminderKind[] {
  const today = instantToDate(now);
  const dates = reminderDates(dueDate, calendar);
  if (today >= dates.overdue) return ["overdue"];
  return REMINDER_KINDS.filter((k) => today >= dates[k]);
}
