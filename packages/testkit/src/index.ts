export { checkCoverage, defaultCoverage, defaultExpectedRange } from './conformance/checks-plan.js'
export * from './conformance/harness.js'
export {
  conformanceChecks,
  notApplicable,
  runCheck,
  runChecks,
  runConformance,
  standardChecks,
} from './conformance/suite.js'
export * from './conformance/types.js'
export * from './fake/bodies.js'
export * from './fake/faults.js'
export * from './fake/pagination.js'
export * from './fake/random.js'
export * from './fake/server.js'
export { readJsonLines, removeTempDirs, tempDir } from './files/files.js'
export { type ScaffoldOptions, type ScaffoldResult, scaffoldConnector } from './scaffold/scaffold.js'
export { type TestTransformContextOptions, testTransformContext } from './transform-context.js'
