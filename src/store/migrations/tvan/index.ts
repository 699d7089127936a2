/**
 * Migrations of the `tvan` schema, in order. Each is a file `NNN_name.ts` in this folder exporting
 * `up` (and optionally `down`), listed here under its file name without extension, e.g.
 * `import * as m001 from "./001_first_tables.ts";` then `"001_first_tables": m001`.
 * Unqualified names in them resolve to the `tvan` schema (see ../../migrate.ts). Write SQL that
 * PostgreSQL 15 accepts: CI runs it on Debian's PostgreSQL 15 as well as on the embedded PostgreSQL 18.
 */
import type { MigrationSet } from "../../migrate.ts";
import * as m001 from "./001_outbox.ts";
import * as m002 from "./002_messages.ts";
import * as m003 from "./003_ordering_and_cursors.ts";

export const tvanMigrations: MigrationSet = {
  "001_outbox": m001,
  "002_messages": m002,
  "003_ordering_and_cursors": m003,
};
