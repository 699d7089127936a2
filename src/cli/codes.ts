import { defineCodes } from "../domain/problem.ts";

export const cliCodes = defineCodes({
  FILE_UNREADABLE: {
    vi: "Không đọc được tệp ({reason})",
    en: "The file cannot be read ({reason})",
  },
});
