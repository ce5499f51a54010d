import type { CliRun, Line } from './cli.js'

export type Stage = 'startup' | 'export' | 'transform' | 'load'

/**
 * Where a run is, from its --json progress lines: the producer's stage (export or transform of one
 * partition; loading of earlier partitions overlaps it), or `load` once the producer has nothing in hand.
 */
export class StageTracker {
  private producer: 'startup' | 'export' | 'transform' | 'idle' = 'startup'
  exportStarts = 0
  transformStarts = 0
  /** Stats lines seen while the producer was idle (only loading left). */
  idleStats = 0
  loaded = 0

  feed(line: Line): void {
    if (line.type === 'plan') this.producer = 'idle'
    if (line.type === 'stats') {
      this.loaded = line.eventsLoaded
      if (this.producer === 'idle') this.idleStats++
    }
    if (line.type !== 'partition' || line.stage === 'load') return
    if (line.status === 'started') {
      this.producer = line.stage
      if (line.stage === 'export') this.exportStarts++
      else this.transformStarts++
    } else this.producer = 'idle'
  }

  stage(): Stage {
    return this.producer === 'idle' ? 'load' : this.producer
  }
}

/**
 * A kill target. Each fires on a progress line, then waits a seeded delay shorter than the stage
 * usually lasts, so the kill lands in that stage however loaded the machine is (slower only widens it).
 * `export2` waits for the run's second export: a whole partition got through first, so runs progress.
 */
export type Target = 'export' | 'export2' | 'transform' | 'load' | 'random'

export function armKill(
  run: CliRun,
  tracker: StageTracker,
  target: Target,
  random: () => number,
  kill: () => void,
): () => void {
  let timer: NodeJS.Timeout | undefined
  let armed = false
  const fire = (ms: number) => {
    if (armed) return
    armed = true
    timer = setTimeout(kill, Math.round(ms))
  }
  if (target === 'random') fire(300 + random() * 3000)
  run.onLine((line) => {
    tracker.feed(line)
    if (armed || line.type === 'summary') return
    // Nothing left for the producer (every partition transformed): whatever the target, kill in load.
    if (line.type === 'stats' && tracker.idleStats >= 2) fire(random() * 400)
    const started = line.type === 'partition' && line.status === 'started'
    if (target === 'export' && started && line.stage === 'export') fire(50 + random() * 1000)
    if (target === 'export2' && started && line.stage === 'export' && tracker.exportStarts === 2)
      fire(50 + random() * 1000)
    if (target === 'transform' && started && line.stage === 'transform') fire(random() * 250)
    if (target === 'load' && line.type === 'stats' && tracker.stage() === 'load') fire(random() * 400)
  })
  return () => clearTimeout(timer)
}
