/** One page of a Relay connection, flattened: the nodes, and where the next page starts. */
export interface Page<T> {
  items: T[];
  /** Items matching the filter across all pages. */
  totalCount: number;
  hasNextPage: boolean;
  /** Pass as `after` for the next page. */
  endCursor: string | null;
}

export interface PageOptions {
  /** Items per page (server default 50, at most 200). */
  first?: number;
  /** The endCursor of the previous page. */
  after?: string | null;
}

interface Connection<T> {
  edges: Array<{ node: T }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
}

export function pageOf<T>(c: Connection<T>): Page<T> {
  return { items: c.edges.map((e) => e.node), totalCount: c.totalCount, hasNextPage: c.pageInfo.hasNextPage, endCursor: c.pageInfo.endCursor };
}

/** Every item, page after page (`first` per request). */
export async function* allPages<T>(fetchPage: (after: string | null) => Promise<Page<T>>): AsyncGenerator<T, void, void> {
  let after: string | null = null;
  for (;;) {
    const page: Page<T> = await fetchPage(after);
    yield* page.items;
    if (!page.hasNextPage || !page.endCursor) return;
    after = page.endCursor;
  }
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
