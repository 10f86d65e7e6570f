/**
 * Keyset paging for lists ordered newest first: (createdAt desc, id desc). A page starts strictly
 * after the last row of the previous one, so rows added meanwhile never shift or repeat a page.
 */
export interface NewestFirstKey {
  createdAt: Date;
  id: string;
}

export const NEWEST_FIRST_ORDER = [{ createdAt: 'desc' as const }, { id: 'desc' as const }];

/** The where clause for rows after `key` in (createdAt desc, id desc) order. */
export function olderThan(key: NewestFirstKey | undefined) {
  return key ? { OR: [{ createdAt: { lt: key.createdAt } }, { createdAt: key.createdAt, id: { lt: key.id } }] } : {};
}

/** A name prefix filter (literal, case-sensitive). */
export function namePrefix(prefix: string | undefined) {
  return prefix ? { name: { startsWith: prefix } } : {};
}
