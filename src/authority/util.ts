/** Small helpers of the authority's system: GMT+7 times as the format writes them, reason lines. */
import type { Problem } from "../domain/problem.ts";
import type { Reason } from "../format/forms/common.ts";
import { mloiOf } from "./codes.ts";

const VN_OFFSET_MS = 7 * 3_600_000;

/** `YYYY-MM-DDThh:mm:ss` in GMT+7, without a zone (how the format writes date-times). */
export function vnDateTime(d: Date): string {
  return new Date(d.getTime() + VN_OFFSET_MS).toISOString().slice(0, 19);
}

/** `YYYY-MM-DD` of the day in GMT+7. */
export function vnDate(d: Date): string {
  return new Date(d.getTime() + VN_OFFSET_MS).toISOString().slice(0, 10);
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** A reason line (MLoi + description in Vietnamese, ≤255) for a problem. */
export function reasonOf(p: Problem): Reason {
  return { code: mloiOf(p.code), description: clip(p.messageVi, 255) };
}

/** Only the errors (warnings do not refuse anything). */
export function errorsOnly(problems: readonly Problem[]): Problem[] {
  return problems.filter((p) => p.severity === "error");
}

/** True for PostgreSQL's unique violation. */
export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "23505";
}
