import { defineConfig } from 'vitest/config';

// The bench's own tests (the root config does not include bench/): `npx vitest run --config bench/vitest.config.mts`.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['bench/**/*.test.ts'],
    root: new URL('..', import.meta.url).pathname,
    testTimeout: 30_000,
  },
});
