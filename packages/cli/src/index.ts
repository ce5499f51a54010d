export { type Connector, discoverConnectors } from './connectors/discover.js'
export { type ConfigField, configFields, flagsToConfig, oclifFlags } from './connectors/schema-flags.js'
export { JsonLine, JsonReport } from './json-output.js'
export { main } from './main.js'
