import { defineConfig, mergeConfig } from 'vitest/config';
import { packageConfig } from '../../vitest.shared.ts';

// Browser tests: real server, real Chromium. Serial, since they share one browser binary and 2 cores.
export default mergeConfig(
  packageConfig('server-e2e'),
  defineConfig({
    test: {
      include: ['e2e/**/*.test.ts'],
      reporters: ['default', ['json', { outputFile: '.vitest-e2e-report.json' }]],
      fileParallelism: false,
      testTimeout: 60_000,
      hookTimeout: 60_000,
    },
  }),
);
