import { applyDecorators, SetMetadata } from '@nestjs/common';

/**
 * Roles, and the one declarative place operations say who may call them.
 *
 * Team roles rank OWNER > ADMIN > MEMBER > VIEWER. A course is a team whose roles have course names
 * and rank like their team twins: INSTRUCTOR = OWNER, ASSISTANT = ADMIN, STUDENT = MEMBER.
 *
 * Every GraphQL query/mutation and REST route passes through ApiKeyGuard, which refuses a caller whose
 * role ranks below the operation's minimum: `@RequireRole('viewer' | 'member' | 'admin' | 'owner')`
 * on the method (or its class). An operation without the decorator needs 'member': new operations are
 * closed to viewers until someone decides otherwise. `@Public()` opts an operation out of
 * authentication altogether (joinCourse is the only one in the API).
 */
export const ROLES = ['OWNER', 'ADMIN', 'MEMBER', 'VIEWER', 'INSTRUCTOR', 'ASSISTANT', 'STUDENT'] as const;
export type Role = (typeof ROLES)[number];

export const MIN_ROLES = ['viewer', 'member', 'admin', 'owner'] as const;
export type MinRole = (typeof MIN_ROLES)[number];

/** What an unannotated operation requires. */
export const DEFAULT_MIN_ROLE: MinRole = 'member';

export const ROLE_LEVEL: Record<Role, number> = {
  VIEWER: 1,
  MEMBER: 2,
  STUDENT: 2,
  ADMIN: 3,
  ASSISTANT: 3,
  OWNER: 4,
  INSTRUCTOR: 4,
};
export const MIN_LEVEL: Record<MinRole, number> = { viewer: 1, member: 2, admin: 3, owner: 4 };

export const TEAM_ROLES: Role[] = ['OWNER', 'ADMIN', 'MEMBER', 'VIEWER'];
export const COURSE_ROLES: Role[] = ['INSTRUCTOR', 'ASSISTANT', 'STUDENT'];

export const allows = (role: Role, min: MinRole): boolean => ROLE_LEVEL[role] >= MIN_LEVEL[min];

export const ROLE_KEY = 'trainyard:minRole';
export const PUBLIC_KEY = 'trainyard:public';

/**
 * Every declaration, by method name (operations are named after their methods in this codebase), so
 * tests can check the live schema against what the code declares.
 */
export const DECLARED_ROLES = new Map<string, MinRole | 'public'>();

const record =
  (value: MinRole | 'public') =>
  (_target: object, key?: string | symbol): void => {
    if (key !== undefined) DECLARED_ROLES.set(String(key), value);
  };

/** The lowest role that may call this operation (see above). */
export const RequireRole = (min: MinRole) => applyDecorators(SetMetadata(ROLE_KEY, min), record(min));

/** No API key needed (on a method, or a whole controller). Use sparingly: it must be safe for anyone on the network. */
export const Public = () => applyDecorators(SetMetadata(PUBLIC_KEY, true), record('public'));

/** The declared minimum of an operation by name: 'public', a role, or the default. */
export const declaredRole = (operation: string): MinRole | 'public' => DECLARED_ROLES.get(operation) ?? DEFAULT_MIN_ROLE;
