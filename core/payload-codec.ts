// An optional payload codec: AES-256-GCM over every payload in history, keys from the environment
// with a key id in each payload's metadata, so keys can be rotated (encrypt with the newest, decrypt
// with any still configured). Computation only: no I/O.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';

const { temporal } = proto;

export const ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
/** `id:base64key[,id:base64key…]`; the first key encrypts, every key decrypts. */
export const CODEC_KEYS_ENV = 'INFRA_IMPLEMENTOR_CODEC_KEYS';

export interface CodecKey {
  id: string;
  key: Buffer;
}

export class CodecKeyError extends Error {
  override name = 'CodecKeyError';
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export function parseCodecKeys(value: string): CodecKey[] {
  const keys = value.split(',').map((part) => part.trim()).filter(Boolean).map((part) => {
    const i = part.indexOf(':');
    if (i <= 0) throw new CodecKeyError(`${CODEC_KEYS_ENV}: "${part.slice(0, 8)}…" must be id:base64key`);
    const id = part.slice(0, i);
    const key = Buffer.from(part.slice(i + 1), 'base64');
    if (key.length !== 32) throw new CodecKeyError(`${CODEC_KEYS_ENV}: key ${id} must be 32 bytes (base64 of 32 random bytes), got ${key.length}`);
    return { id, key };
  });
  if (!keys.length) throw new CodecKeyError(`${CODEC_KEYS_ENV} is set but holds no key`);
  return keys;
}

export class EncryptionCodec implements PayloadCodec {
  private readonly byId: Map<string, Buffer>;

  constructor(private readonly keys: CodecKey[]) {
    if (!keys.length) throw new CodecKeyError('the encryption codec needs at least one key');
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const current = this.keys[0] as CodecKey;
    return payloads.map((p) => {
      const plain = temporal.api.common.v1.Payload.encode(p).finish();
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', current.key, iv);
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return { metadata: { [METADATA_ENCODING_KEY]: enc.encode(ENCODING), [KEY_ID_METADATA]: enc.encode(current.id) }, data };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      if (!p.metadata || dec.decode(p.metadata[METADATA_ENCODING_KEY] ?? new Uint8Array()) !== ENCODING) return p;
      const id = dec.decode(p.metadata[KEY_ID_METADATA] ?? new Uint8Array());
      const key = this.byId.get(id);
      if (!key) throw new CodecKeyError(`payload encrypted with key "${id}", which is not configured in ${CODEC_KEYS_ENV}`);
      const data = Buffer.from(p.data ?? new Uint8Array());
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12));
      decipher.setAuthTag(data.subarray(data.length - 16));
      const plain = Buffer.concat([decipher.update(data.subarray(12, data.length - 16)), decipher.final()]);
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}

/** The data converter options for worker and client: encryption when keys are configured. */
export function dataConverterFromEnv(env: NodeJS.ProcessEnv = process.env): { payloadCodecs: PayloadCodec[] } | undefined {
  const value = env[CODEC_KEYS_ENV];
  return value ? { payloadCodecs: [new EncryptionCodec(parseCodecKeys(value))] } : undefined;
}
