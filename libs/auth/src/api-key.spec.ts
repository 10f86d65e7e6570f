import { createHash } from 'node:crypto';
import { bearerToken, generateApiKey, hashApiKey, looksLikeApiKey } from './api-key';

describe('api keys', () => {
  it('generates distinct well-formed keys whose stored form is only a digest', () => {
    const a = generateApiKey();
    const b = generateApiKey();
    expect(a.key).not.toEqual(b.key);
    expect(looksLikeApiKey(a.key)).toBe(true);
    expect(a.key.startsWith(a.prefix + '_')).toBe(true);
    expect(a.secretHash).toMatch(/^[0-9a-f]{64}$/);
    expect(a.secretHash).not.toContain(a.key.slice(a.prefix.length + 1));
    expect(hashApiKey(a.key)).toBe(a.secretHash);
    expect(hashApiKey(b.key)).not.toBe(a.secretHash);
  });

  it('digests keys as SHA-256 hex, so the digests of keys stored before stay valid', () => {
    // A fixed key and its digest (sha256sum of the UTF-8 bytes): a change of algorithm or encoding would lock every key out.
    expect(hashApiKey('ty_abcdefghijkl_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG')).toBe(createHash('sha256').update('ty_abcdefghijkl_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG', 'utf8').digest('hex'));
    expect(hashApiKey('ty_x')).toBe('603242e61968b69ea542bcbb0118bfd939807f9f58d4a3161e902f8d24524eca');
  });

  it('reads bearer tokens and rejects other schemes', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer  abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
    expect(looksLikeApiKey('ty_short')).toBe(false);
  });
});
