import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/build-dist.ts'],
    setupFiles: ['@ph-import/testkit/vitest-setup'],
    testTimeout: 90_000,
    hookTimeout: 90_000,
  },
})
