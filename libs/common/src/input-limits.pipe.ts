import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { badInput } from './errors';
import { assertJsonDepth, inputProblem, LIMITS } from './limits';

/**
 * The floor under every argument a client sends, applied globally (GraphQL args, route params,
 * query strings): each string at most LIMITS.maxString characters with no control characters (no
 * NUL), each number finite, nothing nested deeper than LIMITS.maxJsonDepth. JSON bodies only get
 * the depth check here (a predict batch holds ~800k numbers; its service checks them). Fields with
 * tighter rules (names, idempotency keys) check them in their service with checkText/checkInt.
 * (@nestjs/graphql hands resolver args to pipes as type 'body' with the arg's name as data.)
 */
@Injectable()
export class InputLimitsPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (value === undefined || value === null) return value;
    const type = metadata.type as unknown;
    const root = typeof metadata.data === 'string' ? metadata.data : 'input';
    // A whole REST body (@Body()): depth only. GraphQL args arrive as 'body' with the arg's name.
    if (type === 'body' && typeof metadata.data !== 'string') {
      assertJsonDepth('request body', value);
      return value;
    }
    // Named args and params: 'param' and 'query' on REST routes, 'body' with a name for GraphQL args.
    // Everything else (the request, the GraphQL parent/context/info, custom decorators) is ours.
    if (type !== 'param' && type !== 'query' && type !== 'body') return value;
    const problem = inputProblem(value, root, LIMITS.maxString, LIMITS.maxJsonDepth);
    if (problem) throw badInput(problem, { field: root });
    return value;
  }
}
