/**
 * PKCS#11 tokens and HSMs (USB tokens of Vietnamese CAs, network HSMs, SoftHSM2 in tests) through
 * graphene-pk11. The private key never leaves the device: the token hashes and signs SignedInfo itself
 * (CKM_SHA256_RSA_PKCS and friends). graphene-pk11 is an optional dependency, loaded only when a token is
 * opened.
 */
import type * as Graphene from "graphene-pk11";
import type { SignatureAlgorithmName } from "./algorithms.ts";
import { toPem } from "./certificate.ts";
import { type Signer, SignerError } from "./signer.ts";

export interface Pkcs11Options {
  /** Path of the PKCS#11 module (e.g. /usr/lib/softhsm/libsofthsm2.so). */
  readonly library: string;
  /** User PIN. */
  readonly pin: string;
  /** Token label; default: the first token present. */
  readonly tokenLabel?: string;
  /** Label of the private key (CKA_LABEL); default: the first private key with a certificate. */
  readonly keyLabel?: string;
  /** CKA_ID of the key and its certificate, hex. */
  readonly keyId?: string;
}

const MECHANISMS: Record<SignatureAlgorithmName, string> = {
  "RSA-SHA1": "SHA1_RSA_PKCS",
  "RSA-SHA256": "SHA256_RSA_PKCS",
  "RSA-SHA384": "SHA384_RSA_PKCS",
  "RSA-SHA512": "SHA512_RSA_PKCS",
  "ECDSA-SHA256": "ECDSA_SHA256",
  "ECDSA-SHA384": "ECDSA_SHA384",
  "ECDSA-SHA512": "ECDSA_SHA512",
};

type GrapheneModule = typeof Graphene;

async function loadGraphene(): Promise<GrapheneModule> {
  try {
    const m = (await import("graphene-pk11")) as GrapheneModule & { default?: GrapheneModule };
    return m.Module ? m : m.default!;
  } catch (e) {
    throw new SignerError(`graphene-pk11 is not installed: ${e instanceof Error ? e.message : e}`);
  }
}

// A PKCS#11 module is initialised once per process: several signers on one library share it.
const modules = new Map<string, { module: Graphene.Module; users: number }>();

function acquire(g: GrapheneModule, library: string): Graphene.Module {
  let entry = modules.get(library);
  if (!entry) {
    const module = g.Module.load(library, "hddt");
    module.initialize();
    entry = { module, users: 0 };
    modules.set(library, entry);
  }
  entry.users++;
  return entry.module;
}

function release(library: string): void {
  const entry = modules.get(library);
  if (!entry) return;
  entry.users--;
  if (entry.users === 0) {
    modules.delete(library);
    entry.module.finalize();
  }
}

/** Opens a session on a token, logs in and returns a signer over one of its keys. */
export async function pkcs11Signer(options: Pkcs11Options): Promise<Signer & { close(): Promise<void> }> {
  const g = await loadGraphene();
  let mod: Graphene.Module;
  try {
    mod = acquire(g, options.library);
  } catch (e) {
    throw new SignerError(
      `cannot load PKCS#11 module ${options.library}: ${e instanceof Error ? e.message : e}`,
    );
  }
  let session: Graphene.Session | undefined;
  try {
    const slots = mod.getSlots(true);
    let slot: Graphene.Slot | undefined;
    for (let i = 0; i < slots.length; i++) {
      const s = slots.items(i);
      if (options.tokenLabel === undefined || s.getToken().label.trim() === options.tokenLabel) {
        slot = s;
        break;
      }
    }
    if (!slot)
      throw new SignerError(`no token${options.tokenLabel ? ` labelled ${options.tokenLabel}` : ""} found`);
    session = slot.open(g.SessionFlag.SERIAL_SESSION);
    session.login(options.pin, g.UserType.USER);
    const template: Graphene.ITemplate = { class: g.ObjectClass.PRIVATE_KEY };
    if (options.keyLabel !== undefined) template.label = options.keyLabel;
    if (options.keyId !== undefined) template.id = Buffer.from(options.keyId, "hex");
    const keys = session.find(template);
    let key: Graphene.PrivateKey | undefined;
    let certDer: Buffer | undefined;
    for (let i = 0; i < keys.length && !certDer; i++) {
      const k = keys.items(i).toType<Graphene.PrivateKey>();
      const certs = session.find({ class: g.ObjectClass.CERTIFICATE, id: k.id });
      if (certs.length > 0) {
        key = k;
        certDer = certs.items(0).getAttribute({ value: null }).value as Buffer;
      }
    }
    if (!key || !certDer) throw new SignerError("no private key with a certificate on the token");
    const pem = toPem(certDer);
    const s = session;
    const k = key;
    let closed = false;
    // One session runs one operation at a time: signatures are queued.
    let queue: Promise<unknown> = Promise.resolve();
    const signOnce = (data: Uint8Array, algorithm: SignatureAlgorithmName) =>
      new Promise<Uint8Array>((resolve, reject) => {
        if (closed) {
          reject(new SignerError("the token session is closed"));
          return;
        }
        const mechanism = MECHANISMS[algorithm];
        if (!mechanism) {
          reject(new SignerError(`unsupported algorithm ${algorithm}`));
          return;
        }
        try {
          s.createSign(mechanism as Graphene.MechanismType, k).once(Buffer.from(data), (err, value) => {
            if (err) reject(new SignerError(err.message));
            else resolve(value);
          });
        } catch (e) {
          reject(new SignerError(e instanceof Error ? e.message : String(e)));
        }
      });
    return {
      certificate: () => pem,
      sign: (data, algorithm) => {
        const result = queue.then(() => signOnce(data, algorithm));
        queue = result.catch(() => undefined);
        return result;
      },
      close: async () => {
        await queue;
        if (closed) return;
        closed = true;
        try {
          s.logout();
          s.close();
        } finally {
          release(options.library);
        }
      },
    };
  } catch (e) {
    try {
      session?.close();
    } catch {
      // already failing
    }
    release(options.library);
    if (e instanceof SignerError) throw e;
    throw new SignerError(e instanceof Error ? e.message : String(e));
  }
}
