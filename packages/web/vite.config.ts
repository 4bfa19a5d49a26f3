import { defineConfig } from 'vite'
import react from '@vitejs/plugin-react'

export default defineConfig({
  plugins: [react()],
  // The homeserver serves the app from its root, so asset URLs are absolute from '/'.
  base: '/',
  // The crypto package loads its WebAssembly through `new URL(..., import.meta.url)`, which
  // pre-bundling would break in the dev server.
  optimizeDeps: { exclude: ['@matrix-org/matrix-sdk-crypto-wasm'] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2022',
    // The Matrix SDK alone is over a megabyte; splitting it would not make the first load smaller.
    chunkSizeWarningLimit: 2000,
  },
})
