/**
 * Field readers with the format's maximum lengths and 0/1 flags, on top of `FormReader` (common.ts). Used by
 * the registration, receipt and reconciliation codecs. Lengths count characters (Unicode code points) of the
 * text as read, which is what the format's "độ dài tối đa" means for Vietnamese text.
 */
import { defineCodes, makeProblem } from "../../domain/problem.ts";
import { childrenNamed, childText, type XmlElement } from "../xml.ts";
import { type FormReader, itemPath, type Reason, readReasons } from "./common.ts";

export const formLimitCodes = defineCodes({
  FORM_FIELD_TOO_LONG: {
    vi: "Trường {field} dài {length} ký tự, tối đa {max}",
    en: "The field {field} is {length} characters long; at most {max} are allowed",
  },
});

/** Number of characters (code points) of a string; the UTF-16 length when nothing is astral. */
export function charLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      n--;
      i++;
    }
  }
  return n;
}

function checkLength(r: FormReader, value: string, path: string, name: string, max: number): void {
  if (value.length <= max) return;
  const length = charLength(value);
  if (length > max) {
    r.add(
      makeProblem(formLimitCodes, "FORM_FIELD_TOO_LONG", `${path}/${name}`, {
        field: name,
        length: String(length),
        max: String(max),
      }),
    );
  }
}

/** Required text of at most `max` characters ("" and a problem when missing). */
export function text(
  r: FormReader,
  el: XmlElement | undefined,
  path: string,
  name: string,
  max: number,
): string {
  const t = r.str(el, path, name);
  checkLength(r, t, path, name, max);
  return t;
}

/** Optional text of at most `max` characters. */
export function optText(
  r: FormReader,
  el: XmlElement | undefined,
  path: string,
  name: string,
  max: number,
): string | undefined {
  const t = childText(el, name);
  if (t !== undefined) checkLength(r, t, path, name, max);
  return t;
}

const FLAG = [0, 1] as const;

/** Required 0/1 flag as a boolean. */
export function flag(r: FormReader, el: XmlElement | undefined, path: string, name: string): boolean {
  return r.code(el, path, name, FLAG) === 1;
}

/** Optional 0/1 flag. */
export function optFlag(
  r: FormReader,
  el: XmlElement | undefined,
  path: string,
  name: string,
): boolean | undefined {
  const c = r.optCode(el, path, name, FLAG);
  return c === undefined ? undefined : c === 1;
}

/** "1"/"0" for writing a flag; undefined stays undefined (not written). */
export function flagText(b: boolean | undefined): "0" | "1" | undefined {
  return b === undefined ? undefined : b ? "1" : "0";
}

/**
 * Reads the LDo items of a reason list whose items are `LDo{MLoi, MTa}` (999, 01/TB-TNĐT, 01/TB-ĐKĐT): both
 * required, MLoi ≤4 and MTa ≤255 characters.
 */
export function readCodedReasons(r: FormReader, list: XmlElement, path: string): Reason[] {
  // Only the fields that are present, so a model read back equals the model written.
  const reasons = readReasons(r, list, path).map(
    (x) => Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined)) as Reason,
  );
  const items = childrenNamed(list, "LDo");
  for (let i = 0; i < items.length; i++) {
    const ip = itemPath(path, "LDo", i);
    text(r, items[i], ip, "MLoi", 4);
    text(r, items[i], ip, "MTa", 255);
  }
  return reasons;
}
