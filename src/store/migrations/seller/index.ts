/**
 * Migrations of the `seller` schema, in order. Each is a file `NNN_name.ts` in this folder exporting
 * `up` (and optionally `down`), listed here under its file name without extension, e.g.
 * `import * as m001 from "./001_first_tables.ts";` then `"001_first_tables": m001`.
 * Unqualified names in them resolve to the `seller` schema (see ../../migrate.ts). Write SQL that
 * PostgreSQL 15 accepts: CI runs it on Debian's PostgreSQL 15 as well as on the embedded PostgreSQL 18.
 */
import type { MigrationSet } from "../../migrate.ts";
import * as m001 from "./001_seller_tables.ts";
import * as m010 from "./010_archive.ts";
import * as m020 from "./020_notify.ts";
import * as m030 from "./030_more_flows.ts";
import * as m040 from "./040_webhook_events.ts";
import * as m050 from "./050_passwords.ts";
import * as m060 from "./060_coded_waiting.ts";
import * as m070 from "./070_two_step.ts";

export const sellerMigrations: MigrationSet = {
  "001_seller_tables": m001,
  "010_archive": m010,
  "020_notify": m020,
  "030_more_flows": m030,
  "040_webhook_events": m040,
  "050_passwords": m050,
  "060_coded_waiting": m060,
  "070_two_step": m070,
};
