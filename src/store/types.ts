/**
 * How column values come back to JavaScript, the same on both backends (the embedded database is reached
 * through `pg` too, so one table of parsers serves both). Given to each pool, never set globally.
 *
 * - `numeric` → string, always (money is parsed into `Dec` by the caller; pg's default for `numeric[]` is
 *   float, which is replaced here).
 * - `int8` (bigint, count(*), sum of ints) → bigint, exact. JSON.stringify refuses bigint: convert at the edge.
 * - `date` → "YYYY-MM-DD" string (pg's default makes a local-midnight Date, which shifts with the zone).
 * - `timestamp` without time zone → its text, unchanged (do not use that type; store `timestamptz`).
 * - `timestamptz` → Date (millisecond precision; PostgreSQL keeps microseconds).
 * - everything else: pg's defaults (int2/int4 → number, bool, text, json/jsonb parsed, bytea → Buffer).
 *   float4/float8 → number: never use them for amounts.
 */
import pg from "pg";

type Parser = (text: string) => unknown;

const OID = {
  int8: 20,
  numeric: 1700,
  date: 1082,
  timestamp: 1114,
  textArray: 1009,
  int8Array: 1016,
  numericArray: 1231,
  dateArray: 1182,
  timestampArray: 1115,
} as const;

const parseTextArray = pg.types.getTypeParser(OID.textArray as number, "text") as (
  text: string,
) => (string | null)[];
const identity: Parser = (text) => text;

const TEXT_PARSERS = new Map<number, Parser>([
  [OID.int8, (text) => BigInt(text)],
  [OID.numeric, identity],
  [OID.date, identity],
  [OID.timestamp, identity],
  [OID.int8Array, (text) => parseTextArray(text).map((v) => (v === null ? null : BigInt(v)))],
  [OID.numericArray, parseTextArray],
  [OID.dateArray, parseTextArray],
  [OID.timestampArray, parseTextArray],
]);

/** The `types` option for `pg.Pool`/`pg.Client`. */
export const pgTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) => {
    if (format === undefined || format === "text") {
      const p = TEXT_PARSERS.get(oid);
      if (p) return p;
    }
    return pg.types.getTypeParser(oid, (format ?? "text") as "text");
  }) as pg.CustomTypesConfig["getTypeParser"],
};
