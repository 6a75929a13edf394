import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['__test__/**/*.test.ts'],
    // Native tensors are shared process state (thread pool, generator): run files one by one.
    fileParallelism: false,
    testTimeout: 60_000,
  },
})
