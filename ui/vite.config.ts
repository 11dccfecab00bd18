// The web UI's build: ui/ → dist-ui/, served by the controller under /ui/ (src/controller/ui-route.ts).
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/ui/",
  build: {
    outDir: fileURLToPath(new URL("../dist-ui", import.meta.url)),
    emptyOutDir: true,
    // Cytoscape alone is ~450 kB minified: one chunk of its own, cached apart from the app.
    chunkSizeWarningLimit: 1000,
    rollupOptions: { output: { manualChunks: (id) => (id.includes("node_modules/cytoscape") ? "cytoscape" : undefined) } },
  },
});
