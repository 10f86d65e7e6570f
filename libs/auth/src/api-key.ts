import { hash, randomBytes } from 'node:crypto';

/**
 * API keys look like `ty_<12-char id>_<43-char secret>`. The whole key is shown once, at creation;
 * we keep only its prefix (to tell keys apart in listings) and the SHA-256 digest of the key. The
 * secret has 256 bits of entropy, so a fast digest is the right tool (as for GitHub tokens); a slow
 * password hash adds nothing for random keys.
 */
export interface GeneratedApiKey {
  /** The full key: give it to the user, never store or log it. */
  key: string;
  prefix: string;
  secretHash: string;
}

const KEY_PATTERN = /^ty_[A-Za-z0-9_-]{12}_[A-Za-z0-9_-]{43}$/;

export function generateApiKey(): GeneratedApiKey {
  const id = randomBytes(9).toString('base64url');
  const secret = randomBytes(32).toString('base64url');
  const key = `ty_${id}_${secret}`;
  return { key, prefix: `ty_${id}`, secretHash: hashApiKey(key) };
}

/** SHA-256 of the key, hex (crypto.hash: one call, about half the cost of a createHash object per request). */
export function hashApiKey(key: string): string {
  return hash('sha256', key, 'hex');
}

export function looksLikeApiKey(key: string): boolean {
  return KEY_PATTERN.test(key);
}

/** The key from an `Authorization: Bearer <key>` header, or undefined. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const match = value?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1];
}
