/**
 * The one error model of hddt. An expected failure (bad input, a broken rule, a refusal) is a value: a
 * `Problem` with a stable code, the path of the offending field, and a message in Vietnamese and English.
 * Exceptions are for bugs.
 *
 * Codes are defined next to the rules that raise them with `defineCodes`, and every set is registered in
 * `catalogue.ts`, which is what `docs/error-codes.md` and the API's error list are made from.
 */

export type Severity = "error" | "warning";

export interface CodeDef {
  /** Vietnamese message; `{name}` placeholders are filled from the problem's params. */
  readonly vi: string;
  /** English message, same placeholders. */
  readonly en: string;
  /** Warnings do not make a document invalid. Default: error. */
  readonly severity?: Severity;
}

export type CodeSet = Readonly<Record<string, CodeDef>>;

export interface Problem {
  readonly code: string;
  /** Where: an XPath-like path into the document ("/HDon/DLHDon/NDHDon/DSHHDVu/HHDVu[2]/ThTien") or a model path. */
  readonly path: string;
  /** English message. */
  readonly message: string;
  /** Vietnamese message. */
  readonly messageVi: string;
  readonly severity: Severity;
  readonly params?: Readonly<Record<string, string>>;
}

/** Declares a set of codes; the identity function, typed so that `problem(set, "CODE", …)` checks the code. */
export function defineCodes<const T extends CodeSet>(set: T): T {
  return set;
}

function fill(template: string, params: Readonly<Record<string, string>> | undefined): string {
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (all, key: string) => params[key] ?? all);
}

export function makeProblem<T extends CodeSet>(
  set: T,
  code: keyof T & string,
  path: string,
  params?: Record<string, string>,
): Problem {
  const def = set[code];
  if (!def) throw new Error(`unknown problem code ${code}`);
  return {
    code,
    path,
    message: fill(def.en, params),
    messageVi: fill(def.vi, params),
    severity: def.severity ?? "error",
    ...(params ? { params } : {}),
  };
}

/** Collects problems for one document; rules push into it and never stop at the first. */
export class Problems {
  readonly list: Problem[] = [];
  constructor(private readonly limit = 1000) {}

  add<T extends CodeSet>(
    set: T,
    code: keyof T & string,
    path: string,
    params?: Record<string, string>,
  ): void {
    if (this.list.length < this.limit) this.list.push(makeProblem(set, code, path, params));
  }

  push(...problems: Problem[]): void {
    for (const p of problems) if (this.list.length < this.limit) this.list.push(p);
  }

  get errors(): Problem[] {
    return this.list.filter((p) => p.severity === "error");
  }

  get ok(): boolean {
    return !this.list.some((p) => p.severity === "error");
  }
}

/** A result that is either a value or the problems that prevented it. */
export type Result<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(problems: Problem[]): Result<T> => ({ ok: false, problems });
