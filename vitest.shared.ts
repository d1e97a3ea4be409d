import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

/**
 * Tests run against each workspace package's TypeScript source through the
 * `@nexus/source` export condition, so no build is needed before `vitest`.
 */
export const sourceConditions = ['@nexus/source', ...defaultServerConditions];

export function packageConfig(name: string) {
  return defineConfig({
    resolve: { conditions: sourceConditions },
    ssr: { resolve: { conditions: sourceConditions, externalConditions: ['@nexus/source'] } },
    test: {
      name,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      environment: 'node',
      reporters: ['default', ['json', { outputFile: '.vitest-report.json' }]],
      testTimeout: 20_000,
    },
  });
}
