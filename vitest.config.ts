import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          sequence: { groupOrder: 0 },
          include: [
            '{runtime,agents,tools,memory,api,workers,cli,bench}/**/*.test.ts',
            'board/src/**/*.test.ts',
            'packages/*/src/**/*.test.ts',
          ],
          exclude: ['**/*.int.test.ts', 'node_modules/**'],
        },
      },
      {
        test: {
          name: 'integration',
          sequence: { groupOrder: 1 },
          include: ['**/*.int.test.ts'],
          exclude: ['node_modules/**', '.spikes/**', 'examples/**/node_modules/**'],
          // The suite's own PostgreSQL cluster (TEST_PG_URL); see the file for why.
          globalSetup: ['test/global-postgres.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Each file boots real engines; two cores, so keep files from crowding each other.
          maxWorkers: 2,
          // The files share a worker's module cache instead of importing the whole product again
          // each (about 3 s of the two cores per file). Each file still builds its own runtime.
          isolate: false,
        },
      },
    ],
  },
});
