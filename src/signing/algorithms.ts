/**
 * XMLDSig algorithm identifiers hddt understands, and their node:crypto names.
 *
 * hddt signs with RSA-SHA256 + SHA-256 + inclusive C14N 1.0 (what the tax authority itself uses) and verifies
 * the older RSA-SHA1 / SHA-1 files too (QĐ 1271 does not forbid them and invoices signed with them must stay
 * verifiable for the archive period).
 */

export const DSIG_NS = "http://www.w3.org/2000/09/xmldsig#";

export const C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
export const C14N_WITH_COMMENTS = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments";
export const EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#";
export const EXC_C14N_WITH_COMMENTS = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments";
export const ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

export type CanonicalizationKind = { exclusive: boolean; comments: boolean };

/** Canonicalization algorithms (as CanonicalizationMethod or Transform) and what they mean. */
export const CANONICALIZATIONS: ReadonlyMap<string, CanonicalizationKind> = new Map([
  [C14N, { exclusive: false, comments: false }],
  [C14N_WITH_COMMENTS, { exclusive: false, comments: true }],
  [EXC_C14N, { exclusive: true, comments: false }],
  [EXC_C14N_WITH_COMMENTS, { exclusive: true, comments: true }],
]);

export type DigestName = "SHA-1" | "SHA-256" | "SHA-384" | "SHA-512";

export interface DigestAlgorithm {
  readonly name: DigestName;
  readonly uri: string;
  /** node:crypto hash name. */
  readonly hash: string;
  /** DER prefix of the PKCS#1 v1.5 DigestInfo for this hash (for tokens that sign a raw DigestInfo). */
  readonly digestInfoPrefix: string;
}

export const DIGESTS: ReadonlyMap<string, DigestAlgorithm> = new Map(
  (
    [
      ["SHA-1", "http://www.w3.org/2000/09/xmldsig#sha1", "sha1", "3021300906052b0e03021a05000414"],
      [
        "SHA-256",
        "http://www.w3.org/2001/04/xmlenc#sha256",
        "sha256",
        "3031300d060960864801650304020105000420",
      ],
      [
        "SHA-384",
        "http://www.w3.org/2001/04/xmldsig-more#sha384",
        "sha384",
        "3041300d060960864801650304020205000430",
      ],
      [
        "SHA-512",
        "http://www.w3.org/2001/04/xmlenc#sha512",
        "sha512",
        "3051300d060960864801650304020305000440",
      ],
    ] as const
  ).map(([name, uri, hash, digestInfoPrefix]) => [uri, { name, uri, hash, digestInfoPrefix }]),
);

export type SignatureAlgorithmName =
  | "RSA-SHA1"
  | "RSA-SHA256"
  | "RSA-SHA384"
  | "RSA-SHA512"
  | "ECDSA-SHA256"
  | "ECDSA-SHA384"
  | "ECDSA-SHA512";

export interface SignatureAlgorithm {
  readonly name: SignatureAlgorithmName;
  readonly uri: string;
  readonly key: "rsa" | "ec";
  /** node:crypto hash name. */
  readonly hash: string;
  readonly digest: DigestName;
}

export const SIGNATURES: ReadonlyMap<string, SignatureAlgorithm> = new Map(
  (
    [
      ["RSA-SHA1", "http://www.w3.org/2000/09/xmldsig#rsa-sha1", "rsa", "sha1", "SHA-1"],
      ["RSA-SHA256", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", "rsa", "sha256", "SHA-256"],
      ["RSA-SHA384", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384", "rsa", "sha384", "SHA-384"],
      ["RSA-SHA512", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512", "rsa", "sha512", "SHA-512"],
      ["ECDSA-SHA256", "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256", "ec", "sha256", "SHA-256"],
      ["ECDSA-SHA384", "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384", "ec", "sha384", "SHA-384"],
      ["ECDSA-SHA512", "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512", "ec", "sha512", "SHA-512"],
    ] as const
  ).map(([name, uri, key, hash, digest]) => [uri, { name, uri, key, hash, digest }]),
);

const SIGNATURES_BY_NAME = new Map([...SIGNATURES.values()].map((a) => [a.name, a]));
const DIGESTS_BY_NAME = new Map([...DIGESTS.values()].map((a) => [a.name, a]));

export function signatureAlgorithm(name: SignatureAlgorithmName): SignatureAlgorithm {
  const a = SIGNATURES_BY_NAME.get(name);
  if (!a) throw new Error(`unknown signature algorithm ${name}`);
  return a;
}

export function digestAlgorithm(name: DigestName): DigestAlgorithm {
  const a = DIGESTS_BY_NAME.get(name);
  if (!a) throw new Error(`unknown digest algorithm ${name}`);
  return a;
}
