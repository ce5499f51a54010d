import { type ProgressEvent, UNPACED_RATE } from '@ph-import/core'
import { duration, n } from './format.js'

export type ProgressMode = 'tty' | 'plain' | 'json'

type Stats = Extract<ProgressEvent, { type: 'stats' }>

/**
 * Renders core's progress events: a live status line on a TTY (stderr), a plain line every few seconds
 * otherwise, or every event as one JSON line on stdout with --json.
 */
export function createProgress(mode: ProgressMode, options: { plainEveryMs?: number } = {}) {
  let last: Stats | undefined
  let lastPlain = 0
  let live = false
  const clear = () => {
    if (live) process.stderr.write('\r\x1b[K')
    live = false
  }
  const line = (s: Stats) => {
    const eta = s.etaSeconds === null ? '' : ` · ETA ${duration(s.etaSeconds)}`
    return (
      `export ${s.partitionsExported}/${s.partitionsTotal} · transform ${s.partitionsTransformed}/${s.partitionsTotal} · load ${s.partitionsDone}/${s.partitionsTotal}` +
      // Records in, events out: a record can make more than one event (an $identify beside it).
      ` | read ${n(s.recordsRead)} records · loaded ${n(s.eventsLoaded)} events · rejected ${n(s.recordsRejected + s.deadLettered)}` +
      ` | ${n(s.eventsPerSecond)} ev/s${s.rate >= UNPACED_RATE ? '' : ` (limit ${n(s.rate)})`}${eta}`
    )
  }
  // A log read days later needs the date and the zone on every line; a terminal shows the time itself.
  const stamp = () => (mode === 'tty' ? '' : `${new Date().toISOString().slice(0, 19)}Z `)
  const note = (text: string) => {
    clear()
    process.stderr.write(`${stamp()}${text}\n`)
    if (mode === 'tty' && last) render(last)
  }
  const render = (s: Stats) => {
    last = s
    if (mode === 'tty') {
      // A terminal with no size (a pty nobody sized: CI, `script`, `docker -t`) reports 0 columns.
      const width = process.stderr.columns || 200
      process.stderr.write(`\r\x1b[K${line(s).slice(0, width - 1)}`)
      live = true
    } else if (Date.now() - lastPlain >= (options.plainEveryMs ?? 5000)) {
      lastPlain = Date.now()
      process.stderr.write(`${stamp()}${line(s)}\n`)
    }
  }
  return {
    event(e: ProgressEvent) {
      if (mode === 'json') {
        process.stdout.write(`${JSON.stringify(e)}\n`)
        return
      }
      switch (e.type) {
        case 'plan':
          return
        case 'partition':
          if (e.status === 'failed') note(`! ${e.stage} of ${e.key} failed: ${e.detail ?? ''}`)
          return
        case 'retry':
          note(`… ${e.stage}: ${e.message} (attempt ${e.attempt}, retrying in ${duration(e.delayMs / 1000)})`)
          return
        case 'warning':
          note(`Warning: ${e.message}`)
          return
        case 'stats':
          render(e)
          return
        case 'done':
          clear()
          return
      }
    },
    stop: clear,
  }
}
