import * as path from 'node:path';
import { defineConfig } from 'vite';

/**
 * The web console: a single-page app served by the api process at /console (see
 * apps/api/src/console). Vite 8 transforms TSX with its built-in oxc (React's automatic runtime),
 * so no React plugin is needed. `npm run build:console` writes dist/console.
 */
export default defineConfig({
  root: import.meta.dirname,
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic' } },
  resolve: {
    alias: { '@trainyard/engine/spec': path.resolve(import.meta.dirname, '../../libs/engine/src/spec') },
  },
  build: {
    outDir: path.resolve(import.meta.dirname, '../../dist/console'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: {
    // `npx vite apps/console` for development against a running `npm start` on :3000.
    proxy: { '/graphql': 'http://127.0.0.1:3000', '/v1': 'http://127.0.0.1:3000', '/v2': 'http://127.0.0.1:3000' },
  },
});
