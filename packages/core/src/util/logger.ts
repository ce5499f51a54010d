export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void
  info(message: string, fields?: Record<string, unknown>): void
  warn(message: string, fields?: Record<string, unknown>): void
  error(message: string, fields?: Record<string, unknown>): void
  child(scope: string): Logger
}

export type LogSink = (entry: {
  level: LogLevel
  scope: string
  message: string
  fields?: Record<string, unknown>
}) => void

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

/** A logger that redacts secrets before anything reaches the sink. */
export function createLogger(options: {
  sink: LogSink
  level?: LogLevel
  redact?: (text: string) => string
  scope?: string
}): Logger {
  const min = ORDER[options.level ?? 'info']
  const redact = options.redact ?? ((t: string) => t)
  const make = (scope: string): Logger => {
    const log = (level: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
      if (ORDER[level] < min) return
      const safeFields = fields
        ? (JSON.parse(redact(JSON.stringify(fields))) as Record<string, unknown>)
        : undefined
      options.sink({ level, scope, message: redact(message), ...(safeFields ? { fields: safeFields } : {}) })
    }
    return {
      debug: log('debug'),
      info: log('info'),
      warn: log('warn'),
      error: log('error'),
      child: (sub) => make(scope ? `${scope}:${sub}` : sub),
    }
  }
  return make(options.scope ?? '')
}

export const silentLogger: Logger = createLogger({ sink: () => {} })
