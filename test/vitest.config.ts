import { defineConfig } from 'vitest/config'

// The suites spawn the built CLI and share 2 cores with it: one file at a time, generous timeouts.
export default defineConfig({
  test: {
    include: ['suites/**/*.test.ts'],
    testTimeout: 240_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    setupFiles: ['@ph-import/testkit/vitest-setup'],
  },
})
