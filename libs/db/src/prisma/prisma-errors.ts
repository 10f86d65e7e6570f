import { ErrorCode, TrainyardError } from '@trainyard/common';
import { Prisma } from '../generated/prisma/client';

/**
 * Prisma's known request errors as Trainyard's coded errors, for repositories to rethrow:
 * P2002 (unique violation) -> CONFLICT "a dataset with this name already exists",
 * P2025 (record to update/delete not found) -> NOT_FOUND. Anything else is returned unchanged.
 *
 *   catch (e) { throw translatePrismaError(e); }
 */
export function translatePrismaError(e: unknown): unknown {
  if (!(e instanceof Prisma.PrismaClientKnownRequestError)) return e;
  const meta = (e.meta ?? {}) as Record<string, unknown>;
  const model = typeof meta.modelName === 'string' ? meta.modelName : undefined;
  const what = model ? humanize(model) : 'record';
  if (e.code === 'P2002') {
    const fields = uniqueFields(meta);
    // names are unique per team: "with this name", not "with this team id and name"
    const shown = fields.length > 1 ? fields.filter((f) => f !== 'teamId') : fields;
    const which = shown.length > 0 ? shown.map(humanize).join(' and ') : 'value';
    return new TrainyardError(ErrorCode.CONFLICT, `${article(what)} ${what} with this ${which} already exists`, {
      model,
      fields,
    });
  }
  if (e.code === 'P2025') {
    const cause = typeof meta.cause === 'string' ? `: ${meta.cause}` : '';
    return new TrainyardError(ErrorCode.NOT_FOUND, `${what} not found${cause}`, { model });
  }
  return e;
}

/**
 * The columns of the violated constraint. The classic engine puts them in meta.target; with a
 * driver adapter they arrive in meta.driverAdapterError.cause.constraint.
 */
function uniqueFields(meta: Record<string, unknown>): string[] {
  if (Array.isArray(meta.target)) return meta.target.map(String);
  const cause = (meta.driverAdapterError as { cause?: { constraint?: { fields?: unknown; index?: unknown } } } | undefined)?.cause;
  const fields = cause?.constraint?.fields;
  if (Array.isArray(fields)) return fields.map((f) => String(f).replace(/^"|"$/g, ''));
  if (typeof meta.target === 'string') return [meta.target];
  return [];
}

/** ApiKey -> "API key", idempotencyKey -> "idempotency key", DatasetFile -> "dataset file". */
function humanize(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(' ')
    .map((w) => (w.toLowerCase() === 'api' ? 'API' : w.toLowerCase()))
    .join(' ');
}

const article = (word: string) => (/^[aeiou]/i.test(word) && !/^u[a-z]i/i.test(word) ? 'an' : 'a');
