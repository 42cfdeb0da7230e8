/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// The Tauri shell loads ui/dist from its own protocol; nothing is fetched at run time.
export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    // One CSS file and module scripts only: the CSP allows no inline script or style.
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  server: { port: 1420, strictPort: true },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
