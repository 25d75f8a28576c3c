/**
 * The AI Board's build: a static bundle in board/dist, served by the API at /board.
 * `npm run build:board` (or `vite build board`) runs it.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/board/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1000,
  },
  logLevel: 'warn',
});
