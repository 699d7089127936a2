/**
 * The one shape of an HTTP error answer, and how problems become a status:
 *
 *   { "error": { "code", "message", "messageVi", "problems": [Problem…] } }
 *
 * `code` and the messages are those of the first error; `problems` lists them all (with paths). Statuses:
 * 400 malformed request, 401 no or wrong key, 404 unknown route or resource, 409 conflict, 413 too large,
 * 415 wrong media type, 422 rule failures, 429 rate limited, 503 maintenance. 500 only for bugs.
 */
import type { FastifyReply } from "fastify";
import { z } from "zod";
import { type CodeSet, makeProblem, type Problem, type Result } from "../domain/problem.ts";

export interface ErrorBody {
  error: {
    code: string;
    message: string;
    messageVi: string;
    problems: Problem[];
  };
}

const problemSchema = z.object({
  code: z.string().describe("stable UPPER_SNAKE code, listed in docs/error-codes.md"),
  path: z.string().describe("where: a path into the document or the request"),
  message: z.string().describe("English message"),
  messageVi: z.string().describe("Vietnamese message"),
  severity: z.enum(["error", "warning"]),
  params: z.record(z.string(), z.string()).optional(),
});

/** OpenAPI schema of every error answer. */
export const errorSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      messageVi: z.string(),
      problems: z.array(problemSchema),
    }),
  })
  .describe("Error: the first error's code and messages, and every problem found");

/** The error responses a route can give, for its OpenAPI `response` map. */
export function errorResponses<const S extends readonly number[]>(
  ...statuses: S
): { [K in S[number]]: typeof errorSchema } {
  const out: Record<number, typeof errorSchema> = {};
  for (const s of statuses) out[s] = errorSchema;
  return out as { [K in S[number]]: typeof errorSchema };
}

export function errorBody(problems: readonly Problem[]): ErrorBody {
  const first = problems.find((p) => p.severity === "error") ?? problems[0];
  return {
    error: {
      code: first?.code ?? "HTTP_BAD_REQUEST",
      message: first?.message ?? "",
      messageVi: first?.messageVi ?? "",
      problems: [...problems],
    },
  };
}

/** Sends problems as the error body with the status given. */
export function sendProblems(
  reply: FastifyReply,
  status: number,
  problems: readonly Problem[],
): FastifyReply {
  return reply.code(status).type("application/json; charset=utf-8").send(errorBody(problems));
}

/** Sends one problem of a code set. */
export function sendProblem<T extends CodeSet>(
  reply: FastifyReply,
  status: number,
  set: T,
  code: keyof T & string,
  path: string,
  params?: Record<string, string>,
): FastifyReply {
  return sendProblems(reply, status, [makeProblem(set, code, path, params)]);
}

/**
 * The status for problems a service returned. An explicit table wins; otherwise the code's suffix decides
 * (`…_NOT_FOUND` 404, `…_CONFLICT` / `…_EXISTS` / `…_DUPLICATE` 409, `…_UNAVAILABLE` 503); otherwise 422.
 */
export function statusForProblems(
  problems: readonly Problem[],
  table: ReadonlyMap<string, number> = NO_TABLE,
): number {
  let status = 0;
  for (const p of problems) {
    if (p.severity !== "error") continue;
    const s = table.get(p.code) ?? statusBySuffix(p.code);
    // The most specific client error wins over the generic 422.
    if (status === 0 || (status === 422 && s !== 422)) status = s;
  }
  return status === 0 ? 422 : status;
}

const NO_TABLE: ReadonlyMap<string, number> = new Map();

function statusBySuffix(code: string): number {
  if (code.endsWith("_NOT_FOUND")) return 404;
  if (code.endsWith("_CONFLICT") || code.endsWith("_EXISTS") || code.endsWith("_DUPLICATE")) return 409;
  if (code.endsWith("_UNAVAILABLE")) return 503;
  return 422;
}

/** Seconds for a Retry-After header: whole seconds, at least 1. */
export function retryAfterSeconds(untilMs: number, nowMs: number): number {
  return Math.max(1, Math.ceil((untilMs - nowMs) / 1000));
}

/** A service's result: its value with `status`, or its problems with the status they call for. */
export function sendResult<T>(reply: FastifyReply, result: Result<T>, status = 200): FastifyReply {
  if (result.ok) return reply.code(status).send(result.value);
  return sendProblems(reply, statusForProblems(result.problems, CONFLICTS), result.problems);
}

// Codes whose suffix does not tell their status.
const CONFLICTS: ReadonlyMap<string, number> = new Map([
  ["WEBHOOK_NOT_REQUEUEABLE", 409],
  ["EMAIL_NOT_REQUEUEABLE", 409],
]);
