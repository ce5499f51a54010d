// Removes the test file's temp directories (core cannot use testkit's setup: testkit depends on core).
import { afterAll } from 'vitest'
import { removeTempDirs } from './helpers.js'

afterAll(() => removeTempDirs())
