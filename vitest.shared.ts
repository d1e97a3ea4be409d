import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

/**
 * Tests run against each workspace package's TypeScript source through the
 * `@nexus/source` export condition, so no build is needed before `vitest`.
 */
export const sourceConditions = ['@nexus/source', ...defaultServerConditions];

export interface PackageTestOptions {
  readonly include?: string[];
  /** JSON report read by scripts/test-summary.mjs. */
  readonly reportFile?: string;
  readonly testTimeout?: number;
  readonly serial?: boolean;
}

export function packageConfig(name: string, options: PackageTestOptions = {}) {
  return defineConfig({
    resolve: { conditions: sourceConditions },
    ssr: { resolve: { conditions: sourceConditions, externalConditions: ['@nexus/source'] } },
    test: {
      name,
      include: options.include ?? ['src/**/*.test.ts', 'test/**/*.test.ts'],
      environment: 'node',
      reporters: ['default', ['json', { outputFile: options.reportFile ?? '.vitest-report.json' }]],
      testTimeout: options.testTimeout ?? 20_000,
      hookTimeout: options.testTimeout ?? 20_000,
      fileParallelism: !options.serial,
    },
  });
}
