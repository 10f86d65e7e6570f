// graphql-codegen: the SDK's types and typed documents, generated from the committed schema.graphql
// (printed from the server's code) and the operations in src/operations. `npm run sdk:codegen`
// rewrites src/generated; libs/sdk/src/codegen.spec.ts fails when the committed files are stale.
/** @type {import('@graphql-codegen/cli').CodegenConfig} */
module.exports = {
  schema: 'schema.graphql',
  documents: ['libs/sdk/src/operations/*.graphql'],
  ignoreNoDocuments: false,
  silent: true,
  generates: {
    'libs/sdk/src/generated/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false, gqlTagName: 'graphql' },
      config: {
        documentMode: 'string',
        enumsAsTypes: true,
        useTypeImports: true,
        onlyOperationTypes: true,
        avoidOptionals: { field: true, inputValue: false, object: true, defaultValue: false },
        scalars: { DateTime: 'string', JSON: 'unknown' },
        skipTypename: true,
      },
    },
  },
};
