#!/usr/bin/env node
// With --verbose, stack traces name the TypeScript sources (src/*.ts) instead of the bundle's chunks: Node reads the
// bundle's source maps only then, as reading them would slow every start.
if (process.argv.includes("--verbose")) process.setSourceMapsEnabled(true);
const { main } = await import("../dist/ocrq.js");

main(process.argv.slice(2));
