import { defineConfig } from 'vite';
import { asciiOnlyPlugin } from './scripts/ascii-only.mjs';
import { dropMarkedDefaultInstancePlugin } from './scripts/drop-marked-default.mjs';
import { minifyTemplatesPlugin } from './scripts/minify-templates.mjs';
import { restParametersPlugin } from './scripts/rest-parameters.mjs';
import { trimPartySocketPlugin } from './scripts/trim-partysocket.mjs';

// The widget bundle: one self-registering file per format, every dependency inside.
export default defineConfig({
  plugins: [
    dropMarkedDefaultInstancePlugin(),
    trimPartySocketPlugin(),
    minifyTemplatesPlugin(),
    restParametersPlugin(),
    asciiOnlyPlugin(),
  ],
  build: {
    outDir: 'dist',
    // dist/node holds the compiled server; the widget build must not wipe it.
    emptyOutDir: false,
    target: 'es2022',
    // Terser first, then the bundler's own minifier (oxc, below): each finds savings the other
    // misses, together 0.7 KB gzip smaller than oxc alone (1.1 %), a cost every embedding site pays.
    minify: 'terser',
    terserOptions: { compress: { passes: 2 }, format: { ascii_only: true, comments: false } },
    sourcemap: true,
    rolldownOptions: {
      output: {
        // Escapes non-ASCII characters: a classic script served without a charset is
        // decoded in the page's encoding (asciiOnlyPlugin checks that nothing is left).
        charset: 'ascii',
        // Vite leaves the ES library build unminified; people load it straight from a CDN.
        minify: true,
        // No comments: the minifier already drops all but tree-shaking hints (`@__PURE__`), which
        // help no bundler here (everything in the module is reached from the element it
        // registers) and cost 0.2 KB gzip of the module.
        comments: false,
      },
    },
    lib: {
      entry: 'src/widget/index.ts',
      name: 'AiStreamChat',
      formats: ['es', 'iife'],
      fileName: (format) => (format === 'es' ? 'ai-stream-chat.js' : `ai-stream-chat.${format}.js`),
    },
  },
});
