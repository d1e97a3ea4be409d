import { defineConfig } from 'vitest/config';

// Lets `pnpm vitest` at the root (and editors) run every package's suite at once.
export default defineConfig({
  test: { projects: ['packages/*', 'apps/server', 'plugins/*'] },
});
