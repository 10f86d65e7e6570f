import {
  FragmentDefinitionNode,
  getNamedType,
  GraphQLError,
  GraphQLNamedType,
  GraphQLSchema,
  isListType,
  isNonNullType,
  isObjectType,
  isInterfaceType,
  GraphQLOutputType,
  Kind,
  OperationDefinitionNode,
  SelectionSetNode,
  ValidationContext,
  ValidationRule,
} from 'graphql';
import { ErrorCode } from '@trainyard/common';

/**
 * Limits checked on a parsed document before anything executes. The document's size is bounded
 * earlier (GRAPHQL_MAX_BYTES for the body, parseOptions.maxTokens for the parser).
 */
export interface QueryLimits {
  /** Nesting of selection sets, fragments expanded. */
  maxDepth: number;
  /** Aliased fields in the whole document. */
  maxAliases: number;
  /** Estimated fields resolved: each field costs 1, a list field multiplies its children. */
  maxCost: number;
  /** Items assumed per list when the query gives no literal `limit` argument. */
  listSize: number;
  /**
   * Connections: items assumed per page when `first` is a variable (its value is not known at
   * validation): at least this, or the argument's default when that is larger.
   */
  variablePageSize: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = { maxDepth: 12, maxAliases: 30, maxCost: 20_000, listSize: 10, variablePageSize: 200 };

/** Tokens the parser reads before it gives up (a realistic operation has a few hundred). */
export const MAX_TOKENS = 4_000;

interface Measure {
  depth: number;
  cost: number;
}

const isList = (t: GraphQLOutputType): boolean => (isNonNullType(t) ? isList(t.ofType) : isListType(t));

/** A Relay connection type: an object with a list `edges` and a `pageInfo`. */
const isConnection = (t: GraphQLNamedType | undefined): boolean => {
  if (!t || !isObjectType(t)) return false;
  const f = t.getFields();
  return !!f.edges && !!f.pageInfo && isList(f.edges.type);
};

/** Depth and cost of each operation of a document against a schema; fragments memoized, cycles skipped. */
export function measureOperation(schema: GraphQLSchema, op: OperationDefinitionNode, fragments: Map<string, FragmentDefinitionNode>, limits: QueryLimits): Measure {
  const memo = new Map<string, Measure>();
  const inProgress = new Set<string>();

  /** pageSize: set while measuring a connection's own fields; its `edges` repeat that many times. */
  const selections = (set: SelectionSetNode, type: GraphQLNamedType | undefined, pageSize?: number): Measure => {
    let depth = 0;
    let cost = 0;
    for (const sel of set.selections) {
      let m: Measure;
      if (sel.kind === Kind.FIELD) {
        const fields = type && (isObjectType(type) || isInterfaceType(type)) ? type.getFields() : undefined;
        const name = sel.name.value;
        const def = fields && Object.hasOwn(fields, name) ? fields[name] : undefined;
        const named = def ? getNamedType(def.type) : undefined;
        // A connection's page size: a literal `first`, else its default (a variable: at least variablePageSize).
        let page: number | undefined;
        if (def && isConnection(named)) {
          const arg = sel.arguments?.find((a) => a.name.value === 'first');
          const dflt = def.args.find((a) => a.name === 'first')?.defaultValue;
          const fallback = typeof dflt === 'number' ? dflt : limits.listSize;
          page =
            arg?.value.kind === Kind.INT
              ? Math.max(1, Number(arg.value.value))
              : arg?.value.kind === Kind.VARIABLE
                ? Math.max(fallback, limits.variablePageSize)
                : fallback;
        }
        let child: Measure = { depth: 0, cost: 0 };
        if (sel.selectionSet) child = selections(sel.selectionSet, named, page);
        let n = 1;
        if (pageSize !== undefined && name === 'edges') {
          n = pageSize;
        } else if (def && isList(def.type)) {
          const limitArg = sel.arguments?.find((a) => a.name.value === 'limit' || a.name.value === 'first');
          n = limitArg?.value.kind === Kind.INT ? Math.max(1, Number(limitArg.value.value)) : limits.listSize;
        }
        m = { depth: 1 + child.depth, cost: (name.startsWith('__') ? 0 : 1) + n * child.cost };
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        const t = sel.typeCondition ? schema.getType(sel.typeCondition.name.value) ?? undefined : type;
        m = selections(sel.selectionSet, t, pageSize);
      } else {
        const name = sel.name.value;
        const frag = fragments.get(name);
        if (!frag || inProgress.has(name)) continue; // unknown or cyclic: other rules report it
        const memoKey = `${name}:${pageSize ?? ''}`;
        let fm = memo.get(memoKey);
        if (!fm) {
          inProgress.add(name);
          fm = selections(frag.selectionSet, schema.getType(frag.typeCondition.name.value) ?? undefined, pageSize);
          inProgress.delete(name);
          memo.set(memoKey, fm);
        }
        m = fm;
      }
      depth = Math.max(depth, m.depth);
      cost += m.cost;
    }
    return { depth, cost };
  };

  const root = op.operation === 'query' ? schema.getQueryType() : op.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
  return selections(op.selectionSet, root ?? undefined);
}

const refuse = (message: string, extra: Record<string, unknown>) =>
  new GraphQLError(message, { extensions: { code: ErrorCode.BAD_USER_INPUT, ...extra } });

/** A validation rule: refuses a document over any limit before execution, naming the limit. */
export function queryLimitsRule(limits: QueryLimits = DEFAULT_QUERY_LIMITS): ValidationRule {
  return (context: ValidationContext) => {
    const doc = context.getDocument();
    const fragments = new Map<string, FragmentDefinitionNode>();
    let aliases = 0;
    const stack: SelectionSetNode[] = [];
    for (const d of doc.definitions) {
      if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
      if (d.kind === Kind.FRAGMENT_DEFINITION || d.kind === Kind.OPERATION_DEFINITION) stack.push(d.selectionSet);
    }
    while (stack.length > 0) {
      for (const sel of stack.pop()!.selections) {
        if (sel.kind === Kind.FIELD && sel.alias) aliases++;
        if (sel.kind !== Kind.FRAGMENT_SPREAD && sel.selectionSet) stack.push(sel.selectionSet);
      }
    }
    if (aliases > limits.maxAliases) {
      context.reportError(refuse(`the document has ${aliases} aliased fields; at most ${limits.maxAliases} allowed`, { limit: 'aliases' }));
      return {};
    }
    for (const d of doc.definitions) {
      if (d.kind !== Kind.OPERATION_DEFINITION) continue;
      const m = measureOperation(context.getSchema(), d, fragments, limits);
      const name = d.name ? `operation ${d.name.value}` : 'the operation';
      if (m.depth > limits.maxDepth) {
        context.reportError(refuse(`${name} nests ${m.depth} levels deep; at most ${limits.maxDepth} allowed`, { limit: 'depth' }));
      } else if (m.cost > limits.maxCost) {
        context.reportError(refuse(`${name} would resolve about ${m.cost} fields; at most ${limits.maxCost} allowed (ask for fewer list items or fields)`, { limit: 'cost' }));
      }
    }
    return {};
  };
}
