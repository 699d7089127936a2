/** The T-VAN's outbox: the shared outbox tables in schema `tvan`. */
import type { Kysely } from "kysely";
import { createOutboxTables, dropOutboxTables } from "../outbox-tables.ts";

export const up = (db: Kysely<unknown>): Promise<void> => createOutboxTables(db);
export const down = (db: Kysely<unknown>): Promise<void> => dropOutboxTables(db);
