import { ErrorCode } from './errors';
import { canonicalJson, requestDigest } from './digest';
import { checkInt, checkText, inputProblem, jsonDepth, quote, rawJsonDepth, textProblem } from './limits';

const nested = (n: number) => {
  let v: unknown = [];
  for (let i = 0; i < n; i++) v = [v];
  return v;
};

describe('limits', () => {
  it('quotes a short prefix of long or odd values', () => {
    expect(quote('abc')).toBe('"abc"');
    const q = quote('x'.repeat(15_000_000));
    expect(q).toBe(`"${'x'.repeat(40)}…" (15000000 chars)`);
    expect(quote('a\u0000b')).toBe('"a\\u0000b"');
    expect(quote({ a: 'y'.repeat(100) })).toMatch(/… \(\d+ chars\)$/);
  });

  it('finds control characters, lone surrogates and over-long strings', () => {
    expect(textProblem('fine\ttext\n')).toBeUndefined();
    expect(textProblem('a\u0000')).toMatch(/U\+0000\) at index 1/);
    expect(textProblem('\u001b[31m')).toMatch(/U\+001B/);
    expect(textProblem('bad \ud800 surrogate')).toMatch(/index 4/);
    expect(textProblem('ok \ud83d\ude00')).toBeUndefined();
    expect(textProblem('x'.repeat(11), 10)).toMatch(/11 characters long; at most 10/);
  });

  it('checkText and checkInt throw BAD_USER_INPUT naming the field', () => {
    expect(() => checkText('name', '  ')).toThrow(/name must not be empty/);
    expect(() => checkText('name', 'a'.repeat(200), { max: 128 })).toThrow(expect.objectContaining({ code: ErrorCode.BAD_USER_INPUT }));
    expect(() => checkInt('epochs', 2 ** 31)).toThrow(/epochs must be an integer from 0 to 2147483647, got 2147483648/);
    expect(() => checkInt('limit', 1.5, 1, 10)).toThrow(/limit/);
    expect(checkInt('limit', 10, 1, 10)).toBe(10);
  });

  it('measures depth without recursion, even 1,000,000 deep', () => {
    expect(jsonDepth(1)).toBe(0);
    expect(jsonDepth([1, [2, { a: [3] }]])).toBe(4);
    expect(jsonDepth(nested(1_000_000), 64)).toBe(65);
    const text = Buffer.from('['.repeat(1_000_000) + ']'.repeat(1_000_000));
    expect(rawJsonDepth(text, 64)).toBe(65);
    expect(rawJsonDepth(Buffer.from('{"a":"[[[[\\"[[[","b":[1]}'))).toBe(2);
  });

  it('walks input values for the first bad string or number', () => {
    expect(inputProblem({ a: ['ok', { b: 'x\u0000' }] }, 'input')).toBe('input.a[1].b contains a control character (U+0000) at index 1');
    expect(inputProblem({ n: Infinity }, 'input')).toBe('input.n must be a finite number');
    expect(inputProblem(nested(100), 'input')).toMatch(/nests deeper than 64/);
    expect(inputProblem({ a: 'y'.repeat(2000) }, 'input')).toMatch(/2000 characters long/);
    expect(inputProblem({ a: 1, b: ['fine'] }, 'input')).toBeUndefined();
  });

  it('lets a document field (a Keras topology) be longer than a value, up to 1 MiB, still without control characters', () => {
    expect(inputProblem({ model: { params: { topology: '{'.repeat(20_000) } } }, 'input')).toBeUndefined();
    expect(inputProblem({ model: { params: { topology: 'x'.repeat(1024 * 1024 + 1) } } }, 'input')).toMatch(/1048577 characters long/);
    expect(inputProblem({ model: { params: { topology: 'bad\u0000' } } }, 'input')).toMatch(/control character/);
    expect(inputProblem({ model: { name: 'n'.repeat(2000) } }, 'input')).toMatch(/2000 characters long/);
  });

  it('digests requests canonically: key order and nulls do not matter, values do', () => {
    expect(canonicalJson({ b: 1, a: { d: null, c: [1, 'x'] } })).toBe('{"a":{"c":[1,"x"]},"b":1}');
    expect(requestDigest({ a: 1, b: 2 })).toBe(requestDigest({ b: 2, a: 1, c: undefined }));
    expect(requestDigest({ a: 1 })).not.toBe(requestDigest({ a: 2 }));
  });
});
