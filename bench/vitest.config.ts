import { resolve } from 'node:path';

import { defineConfig } from 'vitest/config';

// The bench's own tests (the root config does not include bench/): `npx vitest run --config bench/vitest.config.ts`.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['bench/**/*.test.ts'],
    root: resolve(__dirname, '..'),
    testTimeout: 30_000,
  },
});
