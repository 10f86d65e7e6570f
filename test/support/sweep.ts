/**
 * Builds a call for every GraphQL query and mutation of a live schema (from introspection), with
 * placeholder values for the required arguments: for sweeps that must cover operations nobody listed.
 */
import type { TrainyardClient } from './client';

interface TypeRef {
  kind: string;
  name: string | null;
  ofType: TypeRef | null;
}
interface InputValue {
  name: string;
  type: TypeRef;
  defaultValue: string | null;
}
interface FullType {
  kind: string;
  name: string;
  fields: Array<{ name: string; args: InputValue[]; type: TypeRef }> | null;
  inputFields: InputValue[] | null;
  enumValues: Array<{ name: string }> | null;
}

const TYPE_REF = 'kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } }';
const INTROSPECTION = `{ __schema { queryType { name } mutationType { name } types {
  kind name enumValues { name } inputFields { name defaultValue type { ${TYPE_REF} } }
  fields { name type { ${TYPE_REF} } args { name defaultValue type { ${TYPE_REF} } } } } } }`;

export interface SweepOperation {
  kind: 'query' | 'mutation';
  name: string;
  query: string;
  variables: Record<string, unknown>;
}

const printType = (t: TypeRef): string =>
  t.kind === 'NON_NULL' ? `${printType(t.ofType!)}!` : t.kind === 'LIST' ? `[${printType(t.ofType!)}]` : t.name!;
const named = (t: TypeRef): TypeRef => (t.ofType ? named(t.ofType) : t);

export const PLACEHOLDER_ID = '00000000-0000-4000-8000-000000000000';

export async function sweepOperations(client: TrainyardClient): Promise<SweepOperation[]> {
  const { __schema } = await client.data(INTROSPECTION);
  const types = new Map<string, FullType>(__schema.types.map((t: FullType) => [t.name, t]));
  const value = (t: TypeRef): unknown => {
    if (t.kind === 'NON_NULL') return value(t.ofType!);
    if (t.kind === 'LIST') return [];
    const full = types.get(t.name!)!;
    if (full.kind === 'ENUM') return full.enumValues![0].name;
    if (full.kind === 'INPUT_OBJECT') {
      return Object.fromEntries(full.inputFields!.filter((f) => f.type.kind === 'NON_NULL' && f.defaultValue === null).map((f) => [f.name, value(f.type)]));
    }
    switch (t.name) {
      case 'ID':
        return PLACEHOLDER_ID;
      case 'Int':
      case 'Float':
        return 1;
      case 'Boolean':
        return false;
      case 'DateTime':
        return new Date().toISOString();
      case 'JSON':
        return {};
      default:
        return 'sweep';
    }
  };
  const ops: SweepOperation[] = [];
  for (const [kind, root] of [['query', __schema.queryType?.name], ['mutation', __schema.mutationType?.name]] as const) {
    if (!root) continue;
    for (const f of types.get(root)!.fields ?? []) {
      const required = f.args.filter((a) => a.type.kind === 'NON_NULL' && a.defaultValue === null);
      const defs = required.map((a) => `$${a.name}: ${printType(a.type)}`).join(', ');
      const args = required.map((a) => `${a.name}: $${a.name}`).join(', ');
      const leaf = ['SCALAR', 'ENUM'].includes(types.get(named(f.type).name!)!.kind);
      ops.push({
        kind,
        name: f.name,
        query: `${kind}${defs ? `(${defs})` : ''} { ${f.name}${args ? `(${args})` : ''}${leaf ? '' : ' { __typename }'} }`,
        variables: Object.fromEntries(required.map((a) => [a.name, value(a.type)])),
      });
    }
  }
  return ops;
}
