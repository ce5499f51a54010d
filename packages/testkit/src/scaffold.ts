// The scaffold alone, without the conformance suite: the CLI imports this at run time, where vitest
// (the suite's peer dependency) is not installed.
export { type ScaffoldOptions, type ScaffoldResult, scaffoldConnector } from './scaffold/scaffold.js'
