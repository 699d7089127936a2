/**
 * hddt's digital signatures: sign invoices, messages and notices as the format requires (XMLDSig, inclusive
 * C14N 1.0, RSA-SHA256, SigningTime object, X509 KeyInfo), verify any signature in them, and the keys and
 * certificates around that (PKCS#12 files, PKCS#11 tokens, a worker pool, a development CA, trust stores).
 */
export * from "./algorithms.ts";
export { canonicalize, parseDom, XmlParseError } from "./c14n.ts";
export {
  CertificateError,
  type CertificateInfo,
  cachedCertificate,
  parseCertificate,
  signingCertificateProblems,
  TEST_CERTIFICATE_POLICY,
  taxCodeOf,
  UID_OID,
} from "./certificate.ts";
export { type SigningCode, signingCodes } from "./codes.ts";
export * from "./dev-ca.ts";
export { type Pkcs11Options, pkcs11Signer } from "./pkcs11.ts";
export { type Pkcs12Contents, pkcs12Signer, readPkcs12, writePkcs12 } from "./pkcs12.ts";
export { type SignerPool, type SignerPoolOptions, signerPool } from "./pool.ts";
export { type RoleSpecOptions, type SigningRole, signAs, specFor } from "./profiles.ts";
export {
  finishSignature,
  formatSigningTime,
  type PreparedSignature,
  prepareSignature,
  type SignatureSpec,
  type SignedDocument,
  signXml,
} from "./sign.ts";
export { type MemorySignerOptions, memorySigner, type Signer, SignerError } from "./signer.ts";
export { type ChainResult, type RevocationResult, TrustStore } from "./trust.ts";
export {
  parseSigningTime,
  type ReferenceReport,
  type SignatureReport,
  type SignatureRole,
  signatureChecker,
  type VerifyOptions,
  verifyDocument,
  verifyFast,
  verifyFull,
} from "./verify.ts";
