import { defineConfig } from 'vitest/config';

// Unit tests of the dashboard's plain TypeScript (state, formatting); browser tests live in apps/server/e2e.
export default defineConfig({
  test: {
    name: 'web',
    include: ['src/**/*.test.ts'],
    environment: 'node',
    reporters: ['default', ['json', { outputFile: '.vitest-report.json' }]],
  },
});
