import { Type } from '@nestjs/common';
import { ArgsType, Field, Int, ObjectType } from '@nestjs/graphql';
import { badInput, checkInt, quote } from '@trainyard/common';

/**
 * Relay cursor connections (https://relay.dev/graphql/connections.htm) for every list that grows
 * without bound: `first`/`after`, `edges { cursor node }`, `pageInfo`, `totalCount`. Cursors are
 * opaque (base64url JSON naming the list and the row's sort key), so a page boundary is a keyset
 * position, not an offset: rows added or removed meanwhile never shift a page.
 */

/** The most items one page may ask for (the loss series has its own, larger cap). */
export const MAX_PAGE_SIZE = 200;
export const DEFAULT_PAGE_SIZE = 50;

@ObjectType({ description: 'Relay page info: whether more items follow, and the cursors of the first and last edge.' })
export class PageInfo {
  @Field() hasNextPage: boolean;
  @Field({ description: 'Always false: connections page forward only (first/after).' }) hasPreviousPage: boolean;
  @Field(() => String, { nullable: true }) startCursor: string | null;
  @Field(() => String, { nullable: true }) endCursor: string | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface Connection<T> {
  edges: Array<Edge<T>>;
  pageInfo: PageInfo;
  /** Lazy (see lazyTotal): the COUNT query runs only when the client selects totalCount. */
  totalCount: number | Promise<number>;
}

/** `<Name>Connection` and `<Name>Edge` object types for a node type. */
export function ConnectionType<T>(node: Type<T>, name = node.name): Type<Connection<T>> {
  @ObjectType(`${name}Edge`)
  class EdgeType {
    @Field({ description: 'Pass as `after` to get the items after this one.' }) cursor: string;
    @Field(() => node) node: T;
  }
  @ObjectType(`${name}Connection`)
  class ConnectionClass {
    @Field(() => [EdgeType]) edges: Array<Edge<T>>;
    @Field(() => PageInfo) pageInfo: PageInfo;
    @Field(() => Int, { description: 'Items matching the filter, across all pages.' }) totalCount: number;
  }
  return ConnectionClass as Type<Connection<T>>;
}

/** The paging arguments every list connection takes. */
@ArgsType()
export class PageArgs {
  @Field(() => Int, { defaultValue: DEFAULT_PAGE_SIZE, description: `Items per page, 0-${MAX_PAGE_SIZE}.` })
  first: number = DEFAULT_PAGE_SIZE;
  @Field(() => String, { nullable: true, description: 'The endCursor (or an edge cursor) of the previous page.' })
  after?: string | null;
}

export type Key = Array<string | number>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An opaque cursor: which list, and the row's position in its order. */
export function encodeCursor(list: string, key: Key): string {
  return Buffer.from(JSON.stringify([list, ...key])).toString('base64url');
}

/**
 * The key in a cursor of `list`, checked against the key's shape (`'s'` string, `'n'` integer,
 * `'d'` ISO date): anything else is BAD_USER_INPUT naming the argument.
 */
export function decodeCursor(list: string, cursor: string | null | undefined, shape: string): Key | undefined {
  if (cursor === null || cursor === undefined) return undefined;
  const bad = () => badInput(`after: ${quote(cursor)} is not a cursor of ${list}; pass pageInfo.endCursor (or an edge's cursor) from a previous page of ${list}`, { field: 'after' });
  let parsed: unknown;
  try {
    parsed = /^[A-Za-z0-9_-]{1,400}$/.test(cursor) ? JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) : undefined;
  } catch {
    throw bad();
  }
  if (!Array.isArray(parsed) || parsed[0] !== list || parsed.length !== shape.length + 1) throw bad();
  const key = parsed.slice(1) as Key;
  [...shape].forEach((kind, i) => {
    const v = key[i];
    const ok =
      kind === 'n'
        ? Number.isSafeInteger(v)
        : kind === 'd'
          ? typeof v === 'string' && !Number.isNaN(Date.parse(v))
          : kind === 'u'
            ? typeof v === 'string' && UUID.test(v)
            : typeof v === 'string' && v.length <= 256;
    if (!ok) throw bad();
  });
  return key;
}

/** Checks `first` against the list's cap (BAD_USER_INPUT naming it). */
export function checkFirst(first: number, max = MAX_PAGE_SIZE): number {
  return checkInt('first', first, 0, max);
}

export interface KeysetSource<Row> {
  /** The list's name in cursors and messages (e.g. "experiments"). */
  list: string;
  /** Key shape: one letter per key part ('d' ISO date, 'u' uuid, 's' string, 'n' integer). */
  shape: string;
  keyOf(row: NoInfer<Row>): Key;
  /** Rows strictly after `after` in the list's order, at most `take`. */
  fetch(after: Key | undefined, take: number): Promise<Row[]>;
  /** Rows matching the filter, all pages. */
  count(): Promise<number>;
  /**
   * Visibility the database query cannot express (a student's view): rows failing it are skipped,
   * and the page is filled from further rows.
   */
  visible?: (row: NoInfer<Row>) => Promise<boolean>;
}

/**
 * One forward page of a keyset-ordered list: `first` rows after the cursor, plus whether another
 * follows (one extra row is read to know).
 */
export async function keysetPage<Row, Node = Row>(src: KeysetSource<Row>, args: PageArgs, toNode: (row: NoInfer<Row>) => Node | Promise<Node>): Promise<Connection<Node>> {
  return keysetPageWith(src, args, toNode, MAX_PAGE_SIZE);
}

export async function keysetPageWith<Row, Node>(src: KeysetSource<Row>, args: PageArgs, toNode: (row: NoInfer<Row>) => Node | Promise<Node>, max: number): Promise<Connection<Node>> {
  const first = checkFirst(args.first ?? DEFAULT_PAGE_SIZE, max);
  let after = decodeCursor(src.list, args.after, src.shape);
  const rows: Row[] = [];
  let more = false;
  for (;;) {
    const take = Math.max(first + 1, src.visible ? 50 : 1);
    const batch = await src.fetch(after, take);
    for (const r of batch) {
      if (src.visible && !(await src.visible(r))) continue;
      if (rows.length === first) {
        more = true;
        break;
      }
      rows.push(r);
    }
    if (more || batch.length < take) break;
    after = src.keyOf(batch[batch.length - 1]);
  }
  const edges = await Promise.all(rows.map(async (r) => ({ cursor: encodeCursor(src.list, src.keyOf(r)), node: await toNode(r) })));
  const count = src.visible
    ? async () => {
        let n = 0;
        let at: Key | undefined;
        for (;;) {
          const batch = await src.fetch(at, 500);
          for (const r of batch) if (await src.visible!(r)) n++;
          if (batch.length < 500) return n;
          at = src.keyOf(batch[batch.length - 1]);
        }
      }
    : () => src.count();
  return withLazyTotal(
    { edges, pageInfo: { hasNextPage: more, hasPreviousPage: false, startCursor: edges[0]?.cursor ?? null, endCursor: edges[edges.length - 1]?.cursor ?? null } },
    count,
  );
}

/**
 * A connection whose totalCount is a getter: the count runs (once) only when the field is read,
 * i.e. when the client selects it. Do not spread the result (a spread reads every getter).
 */
export function withLazyTotal<T>(page: Omit<Connection<T>, 'totalCount'>, count: () => Promise<number>): Connection<T> {
  let total: Promise<number> | undefined;
  return Object.defineProperty(page, 'totalCount', { enumerable: true, get: () => (total ??= count()) }) as Connection<T>;
}

/** The (createdAt desc, id desc) key most lists use: newest first, ties broken by id. */
export const NEWEST_FIRST = {
  shape: 'du',
  keyOf: <R extends { createdAt: Date; id: string }>(r: R): Key => [r.createdAt.toISOString(), r.id],
  after: (k: Key | undefined) => (k ? { createdAt: new Date(k[0] as string), id: k[1] as string } : undefined),
};
