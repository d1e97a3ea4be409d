import { packageConfig } from '../../vitest.shared.ts';

// Browser tests: a real server and real Chromium, one file at a time (one browser binary, 2 cores).
export default packageConfig('server-e2e', {
  include: ['e2e/**/*.test.ts'],
  reportFile: '.vitest-e2e-report.json',
  testTimeout: 60_000,
  serial: true,
});
