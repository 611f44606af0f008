import { defineConfig } from 'vite';

// The dashboard is served by `cthub serve` from its root; the dev server proxies /api to the
// mock (web/mock/server.mjs, port 8787) or to a real server given in CTHUB_API.
export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 900,
  },
  server: {
    proxy: {
      '/api': { target: process.env.CTHUB_API ?? 'http://127.0.0.1:8787', changeOrigin: false },
    },
  },
});
