import { Command } from '@oclif/core'
import { ConfigError, errorKind } from '@ph-import/core'
import { closestNames } from './ui/did-you-mean.js'

/** 75 is sysexits' EX_TEMPFAIL: gave up on a failure that may pass; the same command later resumes. */
export const EXIT = { done: 0, failed: 1, usage: 2, tempfail: 75, interrupted: 130 } as const

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
    // oclif's own errors (exit requests, missing required flags) already carry an exit code; an unknown flag
    // is answered here, with the nearest real ones.
    // With --json, a usage error is still one error line on stdout; an exit request is not an error.
    const oclifExit = error.oclif?.exit
    const unknown = unknownFlagsError(error, this.config.bin, this.id)
    if (unknown) return this.fail(unknown, EXIT.usage)
    if (oclifExit !== undefined && (!this.jsonMode || error.code === 'EEXIT')) return super.catch(error)
    if (oclifExit !== undefined) {
      process.stdout.write(
        `${JSON.stringify({ type: 'error', message: error.message, exitCode: oclifExit })}\n`,
      )
      this.exit(oclifExit)
    }
    this.fail(error, errorKind(error) === 'config' ? EXIT.usage : EXIT.failed)
  }

  private fail(error: Error & { hint?: string | undefined }, exitCode: number): never {
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

/**
 * oclif answers a mistyped flag with the whole help text, the error scrolled away above it. This says
 * which flag, the nearest real ones, and where the full list is, in the usual message and hint.
 */
function unknownFlagsError(
  error: Error & {
    flags?: unknown
    parse?: { input?: { flags?: Record<string, { char?: string; aliases?: string[] }> } }
  },
  bin: string,
  commandId: string | undefined,
): ConfigError | undefined {
  const definitions = error.parse?.input?.flags
  if (!Array.isArray(error.flags) || !definitions) return undefined
  const typed = (error.flags as string[]).map((f) => f.split('=')[0] as string)
  const known = Object.entries(definitions).flatMap(([name, d]) => [name, ...(d.aliases ?? [])])
  const guesses = typed.map((t) => {
    const near = closestNames(t.replace(/^-+/, ''), known)
    return near.length > 0 ? `${t} (did you mean ${near.map((n) => `--${n}`).join(' or ')}?)` : t
  })
  const command = [bin, commandId].filter(Boolean).join(' ')
  return new ConfigError(`unknown flag${typed.length === 1 ? '' : 's'} ${guesses.join(', ')}`, {
    hint: `see every flag with \`${command} --help\``,
  })
}
