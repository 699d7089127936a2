/**
 * Migrations of the `authority` schema, in order. Each is a file `NNN_name.ts` in this folder exporting
 * `up` (and optionally `down`), listed here under its file name without extension, e.g.
 * `import * as m001 from "./001_first_tables.ts";` then `"001_first_tables": m001`.
 * Unqualified names in them resolve to the `authority` schema (see ../../migrate.ts). Write SQL that
 * PostgreSQL 15 accepts: CI runs it on Debian's PostgreSQL 15 as well as on the embedded PostgreSQL 18.
 */
import type { MigrationSet } from "../../migrate.ts";
import * as m001 from "./001_authority_tables.ts";
import * as m002 from "./002_notices.ts";

export const authorityMigrations: MigrationSet = {
  "001_authority_tables": m001,
  "002_notices": m002,
};
