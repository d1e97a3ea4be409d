import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

const backend = `http://127.0.0.1:${process.env.NEXUS_PORT ?? 3000}`;

export default defineConfig({
  plugins: [sveltekit()],
  server: {
    port: 5173,
    strictPort: true,
    proxy: {
      '/api': { target: backend, changeOrigin: false },
      '/ws': { target: backend.replace('http', 'ws'), ws: true, changeOrigin: false },
    },
  },
});
