import { defineConfig } from 'vite';
import { minifyTemplatesPlugin } from './scripts/minify-templates.mjs';
import { restParametersPlugin } from './scripts/rest-parameters.mjs';

// The widget bundle: one self-registering file per format, every dependency inside.
export default defineConfig({
  plugins: [minifyTemplatesPlugin(), restParametersPlugin()],
  build: {
    outDir: 'dist',
    // dist/node holds the compiled server; the widget build must not wipe it.
    emptyOutDir: false,
    target: 'es2022',
    minify: true,
    sourcemap: true,
    lib: {
      entry: 'src/widget/index.ts',
      name: 'AiStreamChat',
      formats: ['es', 'iife'],
      fileName: (format) => (format === 'es' ? 'ai-stream-chat.js' : `ai-stream-chat.${format}.js`),
    },
  },
});
