/** Every part's migrations, by part. Each part owns one schema of the same name and migrates it alone. */
import type { MigrationSet } from "../migrate.ts";
import { authorityMigrations } from "./authority/index.ts";
import { sellerMigrations } from "./seller/index.ts";
import { tvanMigrations } from "./tvan/index.ts";

export const PARTS = ["authority", "tvan", "seller"] as const;
export type Part = (typeof PARTS)[number];

export const partMigrations: Readonly<Record<Part, MigrationSet>> = {
  authority: authorityMigrations,
  tvan: tvanMigrations,
  seller: sellerMigrations,
};
