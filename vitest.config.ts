import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{runtime,agents,tools,memory,api,workers,cli}/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', 'node_modules/**'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['**/*.int.test.ts'],
          exclude: ['node_modules/**', '.spikes/**', 'examples/**/node_modules/**'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Each file boots real engines; two cores, so keep files from crowding each other.
          maxWorkers: 2,
        },
      },
    ],
  },
});
