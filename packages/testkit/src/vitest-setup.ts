// A vitest setup file (`setupFiles: ['@ph-import/testkit/vitest-setup']`): removes the test file's
// `tempDir()` directories once its tests are done.
import { afterAll } from 'vitest'
import { removeTempDirs } from './files/files.js'

afterAll(() => removeTempDirs())
