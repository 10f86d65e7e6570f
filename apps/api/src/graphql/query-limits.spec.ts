import { buildSchema, parse, specifiedRules, validate } from 'graphql';
import { DEFAULT_QUERY_LIMITS, queryLimitsRule } from './query-limits';

const schema = buildSchema(`
  type Query { me: Team  experiments: [Experiment!]!  experiment(id: ID!): Experiment }
  type Team { id: ID! name: String! }
  type Experiment { id: ID! name: String! losses(limit: Int): [Loss!]! checkpoints: [Checkpoint!]! parent: Experiment }
  type Loss { step: Int! loss: Float! }
  type Checkpoint { id: ID! step: Int! }
`);

const errors = (q: string, limits = DEFAULT_QUERY_LIMITS) => validate(schema, parse(q), [...specifiedRules, queryLimitsRule(limits)]).map((e) => e.message);

describe('queryLimitsRule', () => {
  it('accepts ordinary queries', () => {
    expect(errors(`{ me { id } experiments { id losses(limit: 100) { step loss } checkpoints { id } } }`)).toEqual([]);
  });

  it('counts aliases across fragments', () => {
    const q = `{ ...F a1: me { id } } fragment F on Query { ${Array.from({ length: 30 }, (_, i) => `f${i}: me { id }`).join(' ')} }`;
    expect(errors(q)).toContain('the document has 31 aliased fields; at most 30 allowed');
  });

  it('measures depth through fragments and inline fragments', () => {
    const q = `{ experiment(id: "x") { parent { ...P } } } fragment P on Experiment { parent { ... on Experiment { parent { parent { id } } } } }`;
    expect(errors(q, { ...DEFAULT_QUERY_LIMITS, maxDepth: 4 })).toEqual(['the operation nests 6 levels deep; at most 4 allowed']);
    expect(errors(q, { ...DEFAULT_QUERY_LIMITS, maxDepth: 6 })).toEqual([]);
  });

  it('multiplies list fields by their literal limit or the default page', () => {
    // 1 + experiments (10) x (1 + losses (5000 x 2)) = 100,011
    expect(errors(`{ experiments { losses(limit: 5000) { step loss } } }`)[0]).toMatch(/would resolve about 100011 fields/);
    expect(errors(`{ experiments { losses { step loss } } }`)).toEqual([]);
  });

  it('stays linear on fragments reused exponentially', () => {
    const frags = Array.from({ length: 30 }, (_, i) => `fragment F${i} on Experiment { id ${i < 29 ? `...F${i + 1} ...F${i + 1}` : ''} }`).join('\n');
    const started = Date.now();
    const out = errors(`{ experiment(id: "x") { ...F0 } } ${frags}`);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(out.some((m) => /would resolve about/.test(m))).toBe(true);
  });
});
