import { Command } from '@oclif/core'
import { errorKind } from '@ph-import/core'

export const EXIT = { done: 0, failed: 1, usage: 2, interrupted: 130 } as const

/** Errors read like a person wrote them: message, then what to do. Stack traces only with --debug. */
export abstract class BaseCommand extends Command {
  protected get jsonMode() {
    return this.argv.includes('--json')
  }

  protected get debugMode() {
    return this.argv.includes('--debug')
  }

  /** Writes one JSON line (with --json) or text to stdout. */
  protected out(text: string, json?: object) {
    if (this.jsonMode) {
      if (json) process.stdout.write(`${JSON.stringify(json)}\n`)
    } else process.stdout.write(`${text}\n`)
  }

  protected override async catch(
    error: Error & { oclif?: { exit?: number }; hint?: string; code?: unknown },
  ) {
    // oclif's own errors (exit requests, unknown flags, missing required flags) already carry an exit code.
    // With --json, a usage error is still one error line on stdout; an exit request is not an error.
    const oclifExit = error.oclif?.exit
    if (oclifExit !== undefined && (!this.jsonMode || error.code === 'EEXIT')) return super.catch(error)
    if (oclifExit !== undefined) {
      process.stdout.write(
        `${JSON.stringify({ type: 'error', message: error.message, exitCode: oclifExit })}\n`,
      )
      this.exit(oclifExit)
    }
    const exitCode = errorKind(error) === 'config' ? EXIT.usage : EXIT.failed
    const hint = typeof error.hint === 'string' ? error.hint : undefined
    if (this.jsonMode) {
      process.stdout.write(
        `${JSON.stringify({ type: 'error', message: error.message, ...(hint ? { hint } : {}), exitCode })}\n`,
      )
    } else {
      process.stderr.write(`Error: ${error.message}\n${hint ? `  ${hint}\n` : ''}`)
    }
    if (this.debugMode && error.stack) process.stderr.write(`${error.stack}\n`)
    this.exit(exitCode)
  }
}
