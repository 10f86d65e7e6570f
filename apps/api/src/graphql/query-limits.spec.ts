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

  describe('connections', () => {
    const relay = buildSchema(`
      type Query { runs(first: Int = 50, after: String): RunConnection! }
      type RunConnection { edges: [RunEdge!]! pageInfo: PageInfo! totalCount: Int! }
      type RunEdge { cursor: String! node: Run! }
      type PageInfo { hasNextPage: Boolean! endCursor: String }
      type Run { id: ID! points(first: Int = 500, after: String): PointConnection! }
      type PointConnection { edges: [PointEdge!]! pageInfo: PageInfo! totalCount: Int! }
      type PointEdge { cursor: String! node: Point! }
      type Point { step: Int! loss: Float! }
    `);
    const check = (q: string) => validate(relay, parse(q), [...specifiedRules, queryLimitsRule(DEFAULT_QUERY_LIMITS)]).map((e) => e.message);

    it('multiplies edges by a literal first, not pageInfo or totalCount', () => {
      // runs 1 + totalCount 1 + pageInfo 2 + edges (1 + 100 x (node 1 + id 1)) = 205
      expect(check(`{ runs(first: 100) { totalCount pageInfo { hasNextPage } edges { node { id } } } }`)).toEqual([]);
      // runs 1 + edges (1 + 40 x node (1 + id 1 + points (1 + edges (1 + 1000 x (node 1 + 2))))) = 120,162: refused
      expect(check(`{ runs(first: 40) { edges { node { id points(first: 1000) { edges { node { step loss } } } } } } }`)[0]).toMatch(/would resolve about 120162 fields/);
    });

    it('uses the default first when none is given, and at least variablePageSize for a variable', () => {
      // default 50 x (1 + 1 + default 500 x 4) = refused; 5 x ... accepted
      expect(check(`{ runs { edges { node { points { edges { node { step loss } } } } } } }`)[0]).toMatch(/would resolve about/);
      expect(check(`{ runs(first: 5) { edges { node { points { edges { node { step loss } } } } } } }`)).toEqual([]);
      // $n counts as 200: 1 + 1 + 200 x 2 = 402 (within); with 100 points each 1 + 1 + 200 x 303 = 60,602 (refused),
      // while first: 10 gives 1 + 1 + 10 x 303 = 3,032 (within)
      expect(check(`query($n: Int) { runs(first: $n) { edges { node { id } } } }`)).toEqual([]);
      expect(check(`query($n: Int) { runs(first: $n) { edges { node { points(first: 100) { edges { node { step loss } } } } } } }`)[0]).toMatch(/would resolve about 60602 fields/);
      expect(check(`{ runs(first: 10) { edges { node { points(first: 100) { edges { node { step loss } } } } } } }`)).toEqual([]);
    });
  });

  it('stays linear on fragments reused exponentially', () => {
    const frags = Array.from({ length: 30 }, (_, i) => `fragment F${i} on Experiment { id ${i < 29 ? `...F${i + 1} ...F${i + 1}` : ''} }`).join('\n');
    const started = Date.now();
    const out = errors(`{ experiment(id: "x") { ...F0 } } ${frags}`);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(out.some((m) => /would resolve about/.test(m))).toBe(true);
  });
});
