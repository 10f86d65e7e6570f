import { jsonDepthExceeds, parseJsonBody, preview } from './body';

describe('request bodies', () => {
  it('measures nesting without parsing, ignoring brackets in strings', () => {
    expect(jsonDepthExceeds(Buffer.from('[[[1]]]'), 3)).toBe(false);
    expect(jsonDepthExceeds(Buffer.from('[[[[1]]]]'), 3)).toBe(true);
    expect(jsonDepthExceeds(Buffer.from('{"a":"[[[[[[\\"[[[["}'), 2)).toBe(false);
    expect(jsonDepthExceeds(Buffer.from('['.repeat(100_000) + ']'.repeat(100_000)), 32)).toBe(true);
  });

  it('refuses empty, invalid and too deep bodies with a short message', () => {
    expect(() => parseJsonBody(Buffer.alloc(0))).toThrow(/empty/);
    expect(() => parseJsonBody(Buffer.from('{"instances": [1,'))).toThrow(/not valid JSON/);
    expect(() => parseJsonBody(Buffer.from('['.repeat(100_000) + ']'.repeat(100_000)))).toThrow(/nested deeper than 32/);
    expect(parseJsonBody(Buffer.from('{"a": [1]}'))).toEqual({ a: [1] });
  });

  it('quotes at most a short prefix of a value', () => {
    expect(preview('x'.repeat(10_000)).length).toBeLessThanOrEqual(43);
    expect(preview([1, 2])).toBe('[1,2]');
  });
});
