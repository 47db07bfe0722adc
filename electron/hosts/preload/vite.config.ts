import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * A sandboxed preload cannot load ES modules or other files: it must be one CommonJS script that
 * requires nothing but 'electron'. `npm run build:preload` writes dist/preload/preload.cjs.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../../../dist/preload', import.meta.url)),
    emptyOutDir: true,
    target: 'chrome140',
    minify: false,
    sourcemap: false,
    lib: {
      entry: fileURLToPath(new URL('./preload.ts', import.meta.url)),
      formats: ['cjs'],
      fileName: () => 'preload.cjs',
    },
    rolldownOptions: {
      external: ['electron'],
    },
  },
});
