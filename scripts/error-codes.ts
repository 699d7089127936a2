// Writes docs/error-codes.md from the catalogue.
import { writeFileSync } from "node:fs";
import { catalogueMarkdown } from "../src/catalogue.ts";

writeFileSync(new URL("../docs/error-codes.md", import.meta.url), catalogueMarkdown());
