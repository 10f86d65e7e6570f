import type { Page } from '../queries';

/** "Show more" under a list read from a connection; `max`: the most one query may ask for (the API's page and cost limits). */
export function More({ page, limit, setLimit, what, max = 200 }: { page?: Page<unknown>; limit: number; setLimit: (n: number) => void; what: string; max?: number }) {
  if (!page || !page.hasNextPage) return null;
  return (
    <p className="hint">
      Showing {page.items.length} of {page.totalCount} {what}.{' '}
      {limit < max && (
        <button type="button" className="secondary" onClick={() => setLimit(Math.min(max, limit + 50))}>
          Show more
        </button>
      )}
    </p>
  );
}
