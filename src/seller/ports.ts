/** Ports of the seller's system: how it signs for an organisation and how it hands invoices to buyers. */

import { parseCertificate } from "../signing/certificate.ts";
import { pkcs11Signer } from "../signing/pkcs11.ts";
import { pkcs12Signer } from "../signing/pkcs12.ts";
import { memorySigner, type Signer, SignerError } from "../signing/signer.ts";

/** How an organisation's key is reached (kept in `signing_key`; passwords of files come with it). */
export type SigningKeyConfig =
  | { readonly kind: "pkcs12"; readonly path: string; readonly password: string }
  | {
      readonly kind: "pkcs11";
      readonly library: string;
      readonly pin: string;
      readonly tokenLabel?: string;
      readonly keyLabel?: string;
      readonly keyId?: string;
    }
  /** A development certificate of the dev CA, key kept in the database (tests and demos only). */
  | { readonly kind: "dev"; readonly keyPem: string; readonly certificate: string }
  /**
   * The key stays with the user (USB token, remote signing service): hddt keeps only its certificate, parks
   * each numbered invoice with the digest to sign, and finishes it when the signature value comes back.
   */
  | { readonly kind: "two-step"; readonly certificate: string };

/** A signer whose key is at the user: it has a certificate and cannot sign on the server. */
export interface UserHeldKey extends Signer {
  readonly atUser: true;
}

export function isUserHeld(signer: Signer): signer is UserHeldKey {
  return (signer as Partial<UserHeldKey>).atUser === true;
}

/** The stand-in for a key at the user: signing on the server is refused. */
export function userHeldKey(certificate: string): UserHeldKey {
  parseCertificate(certificate);
  return {
    atUser: true,
    certificate: () => certificate,
    sign: () => Promise.reject(new SignerError("the key is at the user: sign in two steps")),
  };
}

/** Builds the signer of a key configuration (adapters of src/signing). */
export type SignerFactory = (config: SigningKeyConfig) => Promise<Signer>;

/** The adapters of src/signing: a PKCS#12 file, a PKCS#11 token, or an in-memory development key. */
export const defaultSignerFactory: SignerFactory = async (config) => {
  switch (config.kind) {
    case "pkcs12":
      return pkcs12Signer(config.path, config.password);
    case "pkcs11": {
      const { kind: _kind, ...options } = config;
      return pkcs11Signer(options);
    }
    case "dev":
      return memorySigner({ key: config.keyPem, certificate: config.certificate });
    case "two-step":
      return userHeldKey(config.certificate);
  }
};

/** One delivery of an invoice to its buyer. */
export interface DeliveryRequest {
  readonly taxCode: string;
  readonly invoiceId: string;
  readonly buyerEmail?: string;
  readonly buyerName?: string;
  /** What the buyer gets: the coded invoice for a coded one, the signed invoice otherwise. */
  readonly xml: string;
  /** The secret lookup code the buyer can look the invoice up with. */
  readonly lookupCode: string;
}

export interface DeliveryReceipt {
  readonly channel: string;
  readonly address?: string;
}

/** Hands an invoice to its buyer (e-mail, portal…). */
export interface BuyerDelivery {
  deliver(request: DeliveryRequest): Promise<DeliveryReceipt>;
}

/** Keeps what was delivered, in memory (tests, `hddt start` without mail). */
export class RecordingDelivery implements BuyerDelivery {
  readonly delivered: DeliveryRequest[] = [];
  async deliver(request: DeliveryRequest): Promise<DeliveryReceipt> {
    this.delivered.push(request);
    return request.buyerEmail !== undefined
      ? { channel: "recorded", address: request.buyerEmail }
      : { channel: "recorded" };
  }
}
