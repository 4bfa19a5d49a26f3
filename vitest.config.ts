import { defineConfig } from 'vitest/config'

export default defineConfig({
  // Workspace packages resolve to their TypeScript sources, so tests need no build step.
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    reporters: ['default', './scripts/summary-reporter.ts'],
    // Most test time is spent waiting (fsync, PostgreSQL, servers starting), not computing, so
    // more files run at once than there are cores (Vitest's default is one fewer than cores).
    maxWorkers: 3,
    // Generous, because several suites share two cores in CI; a hang still fails.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'e2e/src/**/*.test.ts',
    ],
    coverage: {
      provider: 'v8',
      include: ['packages/core/src/**/*.ts'],
      exclude: ['**/*.test.ts', 'packages/core/src/testing/**'],
      thresholds: { lines: 95 },
    },
  },
})
