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

  it('reads bearer tokens and rejects other schemes', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer  abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
    expect(looksLikeApiKey('ty_short')).toBe(false);
  });
});
