/**
 * Where each party signs, per QĐ 1271 Part I §4, as ready-made `SignatureSpec`s:
 *
 * | role           | document                         | signs                         | Signature in            |
 * |----------------|----------------------------------|-------------------------------|-------------------------|
 * | `seller`       | HDon                             | DLHDon                        | HDon/DSCKS/NBan         |
 * | `buyer`        | HDon                             | DLHDon                        | HDon/DSCKS/NMua         |
 * | `authority`    | HDon (code issued)               | DLHDon + MCCQT                | HDon/DSCKS/CQT          |
 * | `authority`    | TBao (notices 102, 103, 204, …)  | DLTBao (+ STBao when present) | TBao/DSCKS/CQT          |
 * | `taxpayer`     | TKhai, TBao (04/SS), BTHDLieu…   | the DL… data element          | <root>/DSCKS/NNT        |
 * | `cashRegister` | TDiep 206                        | TDiep/DLieu                   | TDiep/CKSNNT            |
 *
 * A document wrapped in a TDiep envelope is signed inside it (TDiep/DLieu/HDon…), except for `cashRegister`,
 * whose signature is on the envelope's DLieu itself.
 */
import { fail, makeProblem, ok, type Result } from "../domain/problem.ts";
import { signingCodes } from "./codes.ts";
import { type SignatureSpec, type SignedDocument, signXml } from "./sign.ts";
import type { Signer } from "./signer.ts";
import { attr, childNamed, childrenOf, indexXml, pathOf, type XmlIndex } from "./xml-index.ts";

export type SigningRole = "seller" | "buyer" | "authority" | "taxpayer" | "cashRegister";

export type RoleSpecOptions = Omit<SignatureSpec, "id" | "into" | "extraIds">;

const SLOT: Record<Exclude<SigningRole, "cashRegister">, string> = {
  seller: "NBan",
  buyer: "NMua",
  authority: "CQT",
  taxpayer: "NNT",
};

const NOT_DATA = new Set(["MCCQT", "STBao", "DSCKS", "CKSNNT", "DLQRCode"]);

/** The signature spec for `role` on this document, found from its structure. */
export function specFor(
  xml: string,
  role: SigningRole,
  options: RoleSpecOptions = {},
): Result<SignatureSpec> {
  const idx = indexXml(xml);
  if (!idx) {
    return fail([
      makeProblem(signingCodes, "SIG_BAD_XML", "/", { reason: "not well-formed, or uses a DOCTYPE" }),
    ]);
  }
  const root = idx.elements[0]!;
  if (role === "cashRegister") {
    const dlieu = childNamed(idx, 0, "DLieu");
    const id = dlieu >= 0 ? attr(idx.elements[dlieu]!, "Id") : undefined;
    if (root.name !== "TDiep" || id === undefined) return notFound("/TDiep/DLieu[@Id]");
    return ok({ ...options, id, into: "/TDiep/CKSNNT" });
  }
  // The signed structure: the root, or the first element inside TDiep/DLieu.
  let base = 0;
  if (root.name === "TDiep") {
    const dlieu = childNamed(idx, 0, "DLieu");
    const first = dlieu >= 0 ? childrenOf(idx, dlieu)[0] : undefined;
    if (first === undefined) return notFound("/TDiep/DLieu/*");
    base = first;
  }
  const basePath = pathOf(idx, base);
  const data = dataElement(idx, base);
  if (data === undefined) return notFound(`${basePath}/*[@Id]`);
  const id = attr(idx.elements[data]!, "Id")!;
  const extraIds: string[] = [];
  if (role === "authority") {
    const mccqt = childNamed(idx, base, "MCCQT");
    const stbao = childNamed(idx, base, "STBao");
    if (idx.elements[base]!.name === "HDon") {
      const mccqtId = mccqt >= 0 ? attr(idx.elements[mccqt]!, "Id") : undefined;
      if (mccqtId === undefined) return notFound(`${basePath}/MCCQT[@Id]`);
      extraIds.push(mccqtId);
    } else if (stbao >= 0) {
      const stbaoId = attr(idx.elements[stbao]!, "Id");
      if (stbaoId !== undefined) extraIds.push(stbaoId);
    }
  }
  return ok({ ...options, id, into: `${basePath}/DSCKS/${SLOT[role]}`, extraIds });
}

function dataElement(idx: XmlIndex, base: number): number | undefined {
  for (const c of childrenOf(idx, base)) {
    const el = idx.elements[c]!;
    if (!NOT_DATA.has(el.name) && attr(el, "Id") !== undefined) return c;
  }
  return undefined;
}

function notFound(path: string): Result<never> {
  return fail([makeProblem(signingCodes, "SIG_TARGET_NOT_FOUND", path, { path })]);
}

/** Signs `xml` as `role` (see the table above). */
export async function signAs(
  xml: string,
  signer: Signer,
  role: SigningRole,
  options: RoleSpecOptions = {},
): Promise<Result<SignedDocument>> {
  const spec = specFor(xml, role, options);
  if (!spec.ok) return spec;
  return signXml(xml, signer, spec.value);
}
