import type { Command } from '@oclif/core'
import type { Connector } from './discover.js'

/**
 * Filled by bin/run.js before oclif runs; read by oclif through the generated plugin's
 * `commands: {strategy: 'explicit', identifier: 'CONNECTOR_COMMANDS'}` (same module instance).
 */
export const CONNECTOR_COMMANDS: Record<string, Command.Class> = {}

/** The connectors found at start-up (bundled and installed), by name. */
export const CONNECTORS = new Map<string, Connector>()

export function connectorNamed(name: string): Connector | undefined {
  return CONNECTORS.get(name)
}
