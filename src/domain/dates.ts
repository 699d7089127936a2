/**
 * Calendar dates and date-times as the invoice format writes them (QĐ 1271 Part I): dates `YYYY-MM-DD`,
 * date-times `YYYY-MM-DDThh:mm:ss` (24 h), both in Vietnam time (GMT+7) with no zone written.
 *
 * Dates stay strings: the format's form sorts lexically, so comparing two valid dates is a string compare.
 * Arithmetic goes through a day number (days since 1970-01-01), computed with integer arithmetic only.
 * Vietnam has used UTC+7 without daylight saving since 1975, so converting to and from an instant is a fixed
 * offset. Nothing here reads the clock: the current time comes from the `Clock` port.
 */
import { defineCodes, makeProblem, type Problem } from "./problem.ts";

/** Vietnam's offset from UTC, in minutes (GMT+7, no daylight saving). */
export const VIETNAM_OFFSET_MINUTES = 420;
const OFFSET_MS = VIETNAM_OFFSET_MINUTES * 60_000;
const DAY_MS = 86_400_000;

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/;

export const dateCodes = defineCodes({
  DATE_FORMAT: {
    vi: "Ngày {value} không đúng định dạng YYYY-MM-DD hoặc không có thật",
    en: "Date {value} is not a real calendar date in the form YYYY-MM-DD",
  },
  DATE_TIME_FORMAT: {
    vi: "Thời điểm {value} không đúng định dạng YYYY-MM-DDThh:mm:ss hoặc không có thật",
    en: "Date-time {value} is not a real moment in the form YYYY-MM-DDThh:mm:ss",
  },
});

/** A calendar date split into numbers (month and day from 1). */
export interface DateParts {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

/** A date-time split into numbers, read as Vietnam local time. */
export interface DateTimeParts extends DateParts {
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function daysInMonth(year: number, month: number): number {
  if (month === 2 && isLeapYear(year)) return 29;
  return MONTH_DAYS[month - 1] ?? 0;
}

function validParts(year: number, month: number, day: number): boolean {
  return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/** Splits a `YYYY-MM-DD` date; undefined when the text is not a real calendar date (2023-02-29, 2024-13-01). */
export function parseDate(text: string): DateParts | undefined {
  const m = DATE_RE.exec(text);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  return validParts(year, month, day) ? { year, month, day } : undefined;
}

/** True for a real calendar date written `YYYY-MM-DD`. */
export function isDate(text: string): boolean {
  return parseDate(text) !== undefined;
}

/** Splits a `YYYY-MM-DDThh:mm:ss` date-time; undefined when malformed or not a real moment. */
export function parseDateTime(text: string): DateTimeParts | undefined {
  const m = DATE_TIME_RE.exec(text);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  if (!validParts(year, month, day) || hour > 23 || minute > 59 || second > 59) return undefined;
  return { year, month, day, hour, minute, second };
}

/** True for a real moment written `YYYY-MM-DDThh:mm:ss` (no fraction, no zone: the format's form). */
export function isDateTime(text: string): boolean {
  return parseDateTime(text) !== undefined;
}

export function validateDate(value: string, path: string): Problem[] {
  return isDate(value) ? [] : [makeProblem(dateCodes, "DATE_FORMAT", path, { value })];
}

export function validateDateTime(value: string, path: string): Problem[] {
  return isDateTime(value) ? [] : [makeProblem(dateCodes, "DATE_TIME_FORMAT", path, { value })];
}

/** The year of a date or date-time (its first four digits); the caller has checked the form. */
export function yearOf(dateOrDateTime: string): number {
  return Number(dateOrDateTime.slice(0, 4));
}

/** The date part of a date-time. */
export function dateOf(dateTime: string): string {
  return dateTime.slice(0, 10);
}

/** Orders two valid dates (or two valid date-times): negative, zero or positive. */
export function compareDates(a: string, b: string): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** True when `from <= date <= to`; a missing bound is open. */
export function isDateWithin(date: string, from: string | undefined, to: string | undefined): boolean {
  return (from === undefined || date >= from) && (to === undefined || date <= to);
}

// Day numbers: days since 1970-01-01 in the proleptic Gregorian calendar. The era-based method below works
// on 400-year cycles so that it is exact for every year without touching `Date`.

function dayNumberOf(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

function partsOfDayNumber(n: number): DateParts {
  const z = n + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return { year, month, day };
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/** Writes date parts as `YYYY-MM-DD`. */
export function formatDate(parts: DateParts): string {
  return `${pad(parts.year, 4)}-${pad(parts.month, 2)}-${pad(parts.day, 2)}`;
}

function mustParse(date: string): DateParts {
  const p = parseDate(date);
  if (!p) throw new RangeError(`not a YYYY-MM-DD date: ${JSON.stringify(date)}`);
  return p;
}

/** Days since 1970-01-01 of a valid date (throws RangeError for a malformed one: a bug in the caller). */
export function dayNumber(date: string): number {
  const p = mustParse(date);
  return dayNumberOf(p.year, p.month, p.day);
}

/** The date `days` days after `date` (negative goes back). */
export function addDays(date: string, days: number): string {
  return formatDate(partsOfDayNumber(dayNumber(date) + days));
}

/** Whole days from `from` to `to` (positive when `to` is later). */
export function daysBetween(from: string, to: string): number {
  return dayNumber(to) - dayNumber(from);
}

/** The instant of a format date-time (read as GMT+7); undefined when malformed. */
export function dateTimeToInstant(dateTime: string): Date | undefined {
  const p = parseDateTime(dateTime);
  if (!p) return undefined;
  const ms =
    dayNumberOf(p.year, p.month, p.day) * DAY_MS +
    ((p.hour * 60 + p.minute) * 60 + p.second) * 1000 -
    OFFSET_MS;
  return new Date(ms);
}

/** The instant at which a date starts in Vietnam (00:00:00 GMT+7). */
export function startOfDateInstant(date: string): Date {
  return new Date(dayNumber(date) * DAY_MS - OFFSET_MS);
}

function localParts(instant: Date): { dayNo: number; msOfDay: number } {
  const t = instant.getTime();
  if (!Number.isFinite(t)) throw new RangeError("invalid Date");
  const local = t + OFFSET_MS;
  const dayNo = Math.floor(local / DAY_MS);
  return { dayNo, msOfDay: local - dayNo * DAY_MS };
}

/** The Vietnam calendar date of an instant (e.g. the portal's `2026-04-02T17:00:00Z` is 2026-04-03). */
export function instantToDate(instant: Date): string {
  return formatDate(partsOfDayNumber(localParts(instant).dayNo));
}

/** The format date-time of an instant in Vietnam time; milliseconds are dropped (truncated). */
export function instantToDateTime(instant: Date): string {
  const { dayNo, msOfDay } = localParts(instant);
  const seconds = Math.floor(msOfDay / 1000);
  const hh = Math.floor(seconds / 3600);
  const mm = Math.floor((seconds % 3600) / 60);
  const ss = seconds % 60;
  return `${formatDate(partsOfDayNumber(dayNo))}T${pad(hh, 2)}:${pad(mm, 2)}:${pad(ss, 2)}`;
}
