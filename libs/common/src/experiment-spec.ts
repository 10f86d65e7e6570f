/**
 * The experiment spec. Its schema is composed in the engine's registries (@trainyard/engine/spec, which
 * imports only zod); this module re-exports it and turns its first failure into BAD_USER_INPUT.
 */
import { experimentSpecSchema, type ExperimentSpec } from '@trainyard/engine/spec';
import type { z } from 'zod';
import { badInput } from './errors';

export { experimentSpecSchema, MODEL_NAMES, OPTIMIZER_NAMES, LOSS_NAMES, SCHEDULE_NAMES, optimizerSpecSchema } from '@trainyard/engine/spec';
export type { ExperimentSpec, ExperimentSpecInput, OptimizerSpec } from '@trainyard/engine/spec';

/** Throws BAD_USER_INPUT naming the first bad field (its path, e.g. `optimizer.momentum`). */
export function throwFirstIssue(error: z.ZodError, prefix = ''): never {
  const issue = error.issues[0];
  const field = [prefix, ...issue.path].filter((p) => p !== '').join('.');
  throw badInput(`${field}: ${issue.message}`, { field });
}

/** Parses a spec or throws BAD_USER_INPUT naming the first bad field. */
export function parseExperimentSpec(value: unknown): ExperimentSpec {
  const r = experimentSpecSchema.safeParse(value);
  if (!r.success) throwFirstIssue(r.error);
  return r.data;
}
