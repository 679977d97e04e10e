import os from 'node:os';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // OCR tests start tesseract.js workers; two files at a time keeps both cores busy without thrashing.
    pool: 'forks',
    maxWorkers: 2,
    minWorkers: 1,
    // Tests never read or write the user's real config file; spawned runs inherit this too.
    env: { OCRQ_CONFIG_DIR: path.join(os.tmpdir(), `ocrq-test-config-${process.pid}`) },
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
