/**
 * Working days, for deadlines the rules count in working days ("trong 01 ngày làm việc").
 *
 * A working day is a day that is neither a weekly rest day (Saturday, Sunday) nor a day off decided for the
 * public service: a public holiday, the compensatory day of a holiday that fell on a rest day, or a working
 * day swapped with a Saturday. A Saturday swapped the other way (a make-up day, "làm bù") is a working day.
 * The tax authority's staff follow the public-service schedule, so its deadlines run on this calendar.
 *
 * Where the days off come from (Labour Code 2019, art. 111–112):
 * - fixed dates, every year: 1/1 (Tết Dương lịch), 30/4 (Ngày Chiến thắng), 1/5 (Quốc tế Lao động),
 *   2/9 (Quốc khánh) and one day next to it, before or after, chosen by the government each year;
 * - lunar dates, which move: five days of Tết Nguyên đán (which five is decided each year) and Giỗ Tổ Hùng
 *   Vương (10/3 lunar). These are not computed here: they come from a per-year schedule;
 * - a holiday falling on a rest day gives a compensatory day off on the next working day (art. 111(3));
 * - the government may swap a working day next to a holiday with a Saturday (announced each year).
 *
 * A year with a schedule (`YearSchedule`) is taken as announced: its days off and make-up days are listed
 * in full (fixed holidays are added automatically, their compensatory days must be listed). A year without
 * one is estimated: fixed holidays, the 2/9 neighbour by the rule below, and compensatory days are computed,
 * but Tết and Hùng Kings' day are missing; `coverage(year)` says which. Ship a new schedule each year when
 * the government announces it (usually in the autumn before).
 *
 * Dates are `YYYY-MM-DD` in Vietnam time (GMT+7); instants are converted with the fixed +7 offset.
 */
import { addDays, dayNumber, instantToDate, parseDate, startOfDateInstant } from "./dates.ts";

/** Day of the week as JavaScript counts: 0 is Sunday, 6 is Saturday. */
export type Weekday = 0 | 1 | 2 | 3 | 4 | 5 | 6;

/**
 * Why a weekday is off: `holiday` (a public holiday), `adjacent` (the day next to 2/9), `compensatory`
 * (for a holiday that fell on a rest day), `swap` (a working day exchanged with a make-up Saturday).
 */
export type DayOffKind = "holiday" | "adjacent" | "compensatory" | "swap";

export interface DayOff {
  readonly date: string;
  readonly name: string;
  readonly kind: DayOffKind;
}

/** A rest day worked instead of a swapped day. */
export interface MakeUpDay {
  readonly date: string;
  readonly name: string;
}

/**
 * How sure the schedule is: `official` (copied from the decision itself), `reported` (from press reports
 * of the official notice), `estimated` (computed by rule, not announced).
 */
export type Confidence = "official" | "reported" | "estimated";

export interface YearSchedule {
  readonly year: number;
  /** Every day off of the year other than the fixed holidays and weekly rest days (those may be listed too). */
  readonly daysOff: readonly DayOff[];
  readonly makeUpDays: readonly MakeUpDay[];
  readonly confidence: Confidence;
  /** Where the dates come from (decision numbers, press reports). */
  readonly sources: readonly string[];
}

/** A holiday on the same date every year, optionally only from or until a date (for changes of the law). */
export interface FixedHoliday {
  readonly month: number;
  readonly day: number;
  readonly name: string;
  /** First date the holiday applies (inclusive), if it started later than the calendar. */
  readonly from?: string;
  /** Last date the holiday applies (inclusive). */
  readonly until?: string;
}

export interface CalendarConfig {
  readonly weekend: readonly Weekday[];
  readonly fixedHolidays: readonly FixedHoliday[];
  /**
   * For years without a schedule: the fixed holiday that gets one adjacent day off (Vietnam: 2/9), and how
   * to pick the side. Omit to add none.
   */
  readonly adjacentDay?: {
    readonly month: number;
    readonly day: number;
    readonly name: string;
    /** Weekdays of the holiday on which the adjacent day is the day after; on the others it is the day before. */
    readonly afterOn: readonly Weekday[];
  };
  /** For years without a schedule: a holiday on a rest day gives the next working day off. */
  readonly compensateRestDayHolidays: boolean;
  readonly years: readonly YearSchedule[];
}

/** What makes a day a non-working day. */
export interface NonWorkingReason {
  readonly kind: DayOffKind | "weekend";
  readonly name: string;
}

// ---------------------------------------------------------------------------------------------------------
// Vietnam

const TET_2025 = "Tết Nguyên đán Ất Tỵ";
const TET_2026 = "Tết Nguyên đán Bính Ngọ";
const HUNG_KINGS = "Giỗ Tổ Hùng Vương (10/3 âm lịch)";
const NATIONAL_DAY_ADJACENT = "Quốc khánh (ngày liền kề)";

/**
 * The public-service schedule of Vietnam, with the years announced so far.
 *
 * 2025 (press reports of VPCP notice 8726/VPCP-KGVX of 26/11/2024): Tết Mon 27/1 – Fri 31/1 (9 days off
 * with the weekends, 25/1–2/2); Hùng Kings Mon 7/4; 30/4–1/5 Wed–Thu with Fri 2/5 swapped for Sat 26/4;
 * National Day Tue 2/9 with Mon 1/9.
 *
 * 2026 (press reports of notice 9441/TB-BNV of 2025 and VPCP notice 12729/VPCP-KGVX of 25/12/2025):
 * 1/1 Thu with Fri 2/1 swapped for Sat 10/1; Tết Mon 16/2 – Fri 20/2 (29 Chạp Ất Tỵ to mùng 4 Bính Ngọ;
 * 14/2–22/2 with the weekends); Hùng Kings Sun 26/4, compensatory Mon 27/4; 30/4–1/5 Thu–Fri; National Day
 * Wed 2/9 with Tue 1/9, and Mon 31/8 swapped for Sat 22/8.
 *
 * Not included: Vietnam Culture Day (24/11), chosen by the Politburo as a paid holiday but, as of the 2026
 * reports, still awaiting the Labour Code amendment. Add it to `fixedHolidays` with a `from` date once the
 * law is in force (`VIETNAM_CULTURE_DAY`).
 */
export const VIETNAM_CALENDAR: CalendarConfig = {
  weekend: [6, 0],
  fixedHolidays: [
    { month: 1, day: 1, name: "Tết Dương lịch" },
    { month: 4, day: 30, name: "Ngày Chiến thắng" },
    { month: 5, day: 1, name: "Ngày Quốc tế Lao động" },
    { month: 9, day: 2, name: "Quốc khánh" },
  ],
  // Fits every year since the Labour Code 2019 took effect: 2021 (Thu: after), 2022 (Fri: before),
  // 2023 (Sat: before), 2024 (Mon: after), 2025 (Tue: before), 2026 (Wed: before).
  adjacentDay: { month: 9, day: 2, name: NATIONAL_DAY_ADJACENT, afterOn: [1, 4] },
  compensateRestDayHolidays: true,
  years: [
    {
      year: 2025,
      confidence: "reported",
      sources: ["VPCP 8726/VPCP-KGVX (26/11/2024), as reported by the press"],
      daysOff: [
        { date: "2025-01-27", name: TET_2025, kind: "holiday" },
        { date: "2025-01-28", name: TET_2025, kind: "holiday" },
        { date: "2025-01-29", name: TET_2025, kind: "holiday" },
        { date: "2025-01-30", name: TET_2025, kind: "holiday" },
        { date: "2025-01-31", name: TET_2025, kind: "holiday" },
        { date: "2025-04-07", name: HUNG_KINGS, kind: "holiday" },
        { date: "2025-05-02", name: "Hoán đổi với thứ Bảy 26/4/2025", kind: "swap" },
        { date: "2025-09-01", name: NATIONAL_DAY_ADJACENT, kind: "adjacent" },
      ],
      makeUpDays: [{ date: "2025-04-26", name: "Làm bù cho thứ Sáu 2/5/2025" }],
    },
    {
      year: 2026,
      confidence: "reported",
      sources: [
        "Thông báo 9441/TB-BNV (2025): Tết and National Day, as reported by the press",
        "VPCP 12729/VPCP-KGVX (25/12/2025): New Year swap, as reported by the press",
        "Labour Code 2019 art. 111(3): compensatory day for Hùng Kings' day on a Sunday",
      ],
      daysOff: [
        { date: "2026-01-02", name: "Hoán đổi với thứ Bảy 10/1/2026", kind: "swap" },
        { date: "2026-02-16", name: TET_2026, kind: "holiday" },
        { date: "2026-02-17", name: TET_2026, kind: "holiday" },
        { date: "2026-02-18", name: TET_2026, kind: "holiday" },
        { date: "2026-02-19", name: TET_2026, kind: "holiday" },
        { date: "2026-02-20", name: TET_2026, kind: "holiday" },
        { date: "2026-04-26", name: HUNG_KINGS, kind: "holiday" },
        { date: "2026-04-27", name: `Nghỉ bù ${HUNG_KINGS}`, kind: "compensatory" },
        { date: "2026-08-31", name: "Hoán đổi với thứ Bảy 22/8/2026", kind: "swap" },
        { date: "2026-09-01", name: NATIONAL_DAY_ADJACENT, kind: "adjacent" },
      ],
      makeUpDays: [
        { date: "2026-01-10", name: "Làm bù cho thứ Sáu 2/1/2026" },
        { date: "2026-08-22", name: "Làm bù cho thứ Hai 31/8/2026" },
      ],
    },
  ],
};

/** Vietnam Culture Day, pending the Labour Code amendment; add it with a `from` date when in force. */
export const VIETNAM_CULTURE_DAY: FixedHoliday = { month: 11, day: 24, name: "Ngày Văn hóa Việt Nam" };

// ---------------------------------------------------------------------------------------------------------

interface YearDays {
  readonly off: ReadonlyMap<number, NonWorkingReason>;
  readonly work: ReadonlySet<number>;
  readonly scheduled: boolean;
}

/** 1970-01-01 was a Thursday. */
function weekdayOf(dayNo: number): Weekday {
  return ((((dayNo + 4) % 7) + 7) % 7) as Weekday;
}

const EPOCH = "1970-01-01";
const WEEKEND: NonWorkingReason = { kind: "weekend", name: "Nghỉ hằng tuần" };

function dateOfDayNumber(dayNo: number): string {
  return addDays(EPOCH, dayNo);
}

function mustDate(date: string, what: string): number {
  if (!parseDate(date)) throw new RangeError(`${what}: not a YYYY-MM-DD date: ${JSON.stringify(date)}`);
  return dayNumber(date);
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** A working-day calendar built from a `CalendarConfig`. Pure; years are computed on first use and cached. */
export class WorkingCalendar {
  readonly #config: CalendarConfig;
  readonly #weekend: ReadonlySet<number>;
  readonly #schedules = new Map<number, YearSchedule>();
  readonly #years = new Map<number, YearDays>();
  #last: { start: number; end: number; days: YearDays } | undefined;

  /** Throws a RangeError for a malformed configuration (a bug in the configuration, not in the input). */
  constructor(config: CalendarConfig) {
    this.#config = config;
    this.#weekend = new Set(config.weekend);
    for (const s of config.years) {
      if (this.#schedules.has(s.year)) throw new RangeError(`calendar: year ${s.year} scheduled twice`);
      for (const d of [...s.daysOff, ...s.makeUpDays]) {
        mustDate(d.date, `calendar ${s.year}`);
        if (!d.date.startsWith(`${s.year}-`))
          throw new RangeError(`calendar ${s.year}: ${d.date} is another year`);
      }
      for (const m of s.makeUpDays) {
        if (!this.#weekend.has(weekdayOf(dayNumber(m.date)))) {
          throw new RangeError(`calendar ${s.year}: make-up day ${m.date} is not a rest day`);
        }
      }
      this.#schedules.set(s.year, s);
    }
    for (const h of config.fixedHolidays) {
      if (!parseDate(`2000-${pad2(h.month)}-${pad2(h.day)}`))
        throw new RangeError(`calendar: bad holiday ${h.name}`);
    }
  }

  /** `scheduled` when the year's days off were announced and configured, `estimated` when computed. */
  coverage(year: number): "scheduled" | "estimated" {
    return this.#schedules.has(year) ? "scheduled" : "estimated";
  }

  /** The year's schedule as configured, if any (with its confidence and sources). */
  schedule(year: number): YearSchedule | undefined {
    return this.#schedules.get(year);
  }

  #year(year: number): YearDays {
    let y = this.#years.get(year);
    if (!y) {
      y = this.#build(year);
      this.#years.set(year, y);
    }
    return y;
  }

  #build(year: number): YearDays {
    const off = new Map<number, NonWorkingReason>();
    const work = new Set<number>();
    const holidays: number[] = [];
    const add = (dayNo: number, reason: NonWorkingReason) => {
      if (!off.has(dayNo)) off.set(dayNo, reason);
    };
    const yyyy = String(year).padStart(4, "0");
    for (const h of this.#config.fixedHolidays) {
      const date = `${yyyy}-${pad2(h.month)}-${pad2(h.day)}`;
      if (!parseDate(date)) continue; // 29/2 in a common year
      if (h.from !== undefined && date < h.from) continue;
      if (h.until !== undefined && date > h.until) continue;
      const dayNo = dayNumber(date);
      add(dayNo, { kind: "holiday", name: h.name });
      holidays.push(dayNo);
    }
    const schedule = this.#schedules.get(year);
    if (schedule) {
      for (const d of schedule.daysOff) add(dayNumber(d.date), { kind: d.kind, name: d.name });
      for (const m of schedule.makeUpDays) work.add(dayNumber(m.date));
      return { off, work, scheduled: true };
    }
    const adj = this.#config.adjacentDay;
    if (adj) {
      const date = `${yyyy}-${pad2(adj.month)}-${pad2(adj.day)}`;
      const dayNo = dayNumber(date);
      const side = adj.afterOn.includes(weekdayOf(dayNo)) ? 1 : -1;
      add(dayNo + side, { kind: "adjacent", name: adj.name });
      holidays.push(dayNo + side);
    }
    if (this.#config.compensateRestDayHolidays) {
      holidays.sort((a, b) => a - b);
      for (const h of holidays) {
        if (!this.#weekend.has(weekdayOf(h))) continue;
        let d = h + 1;
        while (this.#weekend.has(weekdayOf(d)) || off.has(d)) d++;
        off.set(d, { kind: "compensatory", name: `Nghỉ bù ${off.get(h)?.name ?? ""}`.trim() });
      }
    }
    return { off, work, scheduled: false };
  }

  #reasonOf(dayNo: number): NonWorkingReason | undefined {
    const y = this.#yearOfDay(dayNo);
    if (y.work.has(dayNo)) return undefined;
    const off = y.off.get(dayNo);
    if (off) return off;
    return this.#weekend.has(weekdayOf(dayNo)) ? WEEKEND : undefined;
  }

  /** The year containing a day number; the last year used is kept, since loops walk day by day. */
  #yearOfDay(dayNo: number): YearDays {
    const last = this.#last;
    if (last && dayNo >= last.start && dayNo < last.end) return last.days;
    const year = Number(dateOfDayNumber(dayNo).slice(0, 4));
    const start = dayNumber(`${String(year).padStart(4, "0")}-01-01`);
    const end = dayNumber(`${String(year + 1).padStart(4, "0")}-01-01`);
    const days = this.#year(year);
    this.#last = { start, end, days };
    return days;
  }

  #isWorking(dayNo: number): boolean {
    return this.#reasonOf(dayNo) === undefined;
  }

  /** Why a date is not a working day; undefined for a working day. Accepts a date or an instant. */
  nonWorkingReason(date: string | Date): NonWorkingReason | undefined {
    return this.#reasonOf(toDayNumber(date));
  }

  /** True when the date (or the Vietnam date of the instant) is a working day. */
  isWorkingDay(date: string | Date): boolean {
    return this.#isWorking(toDayNumber(date));
  }

  /** The first working day strictly after the date. */
  nextWorkingDay(date: string | Date): string {
    let d = toDayNumber(date) + 1;
    while (!this.#isWorking(d)) d++;
    return dateOfDayNumber(d);
  }

  /**
   * The `n`-th working day after `date` (the date itself does not count); with a negative `n`, the |n|-th
   * working day before it. `n = 0` gives the date itself if it is a working day, else the next one.
   */
  addWorkingDays(date: string | Date, n: number): string {
    if (!Number.isSafeInteger(n)) throw new RangeError(`not a whole number of days: ${n}`);
    let d = toDayNumber(date);
    if (n === 0) {
      while (!this.#isWorking(d)) d++;
      return dateOfDayNumber(d);
    }
    const step = n > 0 ? 1 : -1;
    let left = Math.abs(n);
    while (left > 0) {
      d += step;
      if (this.#isWorking(d)) left--;
    }
    return dateOfDayNumber(d);
  }

  /**
   * Working days from `from` to `to`: those in (from, to] when `to` is not earlier, else minus those in
   * [to, from). So `workingDaysBetween(a, addWorkingDays(a, n)) === n` for every n ≠ 0.
   */
  workingDaysBetween(from: string | Date, to: string | Date): number {
    const a = toDayNumber(from);
    const b = toDayNumber(to);
    let count = 0;
    if (b >= a) {
      for (let d = a + 1; d <= b; d++) if (this.#isWorking(d)) count++;
      return count;
    }
    for (let d = b; d < a; d++) if (this.#isWorking(d)) count++;
    return -count;
  }

  /**
   * The instant a period of `n` working days (n ≥ 1) started by an event at `at` ends: 00:00 GMT+7 after the
   * n-th working day following the day of the event. The event's own day is not counted (Civil Code 2015
   * art. 147: a period in days starts the day after the event) and the period ends at the end of its last
   * day (art. 148). Something done strictly before the returned instant is in time.
   */
  deadlineAfter(at: Date, n: number): Date {
    if (!Number.isSafeInteger(n) || n < 1)
      throw new RangeError(`a deadline needs at least one working day: ${n}`);
    const last = this.addWorkingDays(instantToDate(at), n);
    return startOfDateInstant(addDays(last, 1));
  }
}

function toDayNumber(date: string | Date): number {
  return typeof date === "string" ? mustDate(date, "date") : dayNumber(instantToDate(date));
}

/** Vietnam's public-service calendar (weekends, holidays, swaps). */
export const vietnamCalendar = new WorkingCalendar(VIETNAM_CALENDAR);

/**
 * When the authority's answer to a registration (01/ĐKTĐ-HĐĐT, message 100/101) is due at the latest:
 * within 1 working day of receiving it (Decree 123/2020 art. 15), i.e. before 00:00 GMT+7 after the first
 * working day following the day of receipt.
 */
export function registrationDecisionDeadline(
  receivedAt: Date,
  calendar: WorkingCalendar = vietnamCalendar,
): Date {
  return calendar.deadlineAfter(receivedAt, 1);
}
