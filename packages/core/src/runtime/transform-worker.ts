/**
 * A transform worker thread (see transform-pool.ts): loads the connector and the user's hooks from their
 * modules, then transforms the batches of raw lines it is handed into event and reject lines, in memory.
 * Its `ctx.once` answers are a guess from what it knows; the main thread checks each one in job order.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { compileMapping, type EventHook } from '../contracts/mapping.js'
import type { AnySource } from '../contracts/source.js'
import { type LineSink, type RecordOutcome, type RecordStagerDeps, recordStager } from './record-stager.js'
import { SeenSet } from './seen-set.js'
import { emptyTransformCounts, type PartitionState } from './state.js'
import { type TimeSpan, transformContext, widen } from './transform-context.js'
import type { BatchResult, ToMain, ToWorker, WorkerSetup } from './transform-pool.js'
import { RECORD_FIELDS, WITHOUT_WORKERS } from './transform-pool.js'

const port = parentPort
if (!port) throw new Error('transform-worker.js runs as a worker thread only')
const setup = workerData as WorkerSetup

function describe(error: unknown): Extract<ToMain, { type: 'failed' }>['error'] {
  const e = error instanceof Error ? error : new Error(String(error))
  const { kind, code } = e as { kind?: unknown; code?: unknown }
  return {
    name: e.name,
    message: e.message,
    ...(typeof kind === 'string' ? { kind } : {}),
    ...(typeof code === 'string' ? { code } : {}),
  }
}

/** The default export of a module the worker must import itself, or an error that says which and why. */
async function defaultExport<T>(what: string, url: string): Promise<T> {
  let value: unknown
  try {
    value = ((await import(url)) as { default?: unknown }).default
  } catch (error) {
    throw new Error(
      `a transform worker could not load the ${what} ${url}: ${(error as Error).message}; ${WITHOUT_WORKERS}`,
    )
  }
  if (value === undefined)
    throw new Error(`a transform worker found no default export in the ${what} ${url}; ${WITHOUT_WORKERS}`)
  return value as T
}

async function start(): Promise<{ source: AnySource; hooks: EventHook[]; config: unknown }> {
  const source = await defaultExport<AnySource>('connector module', setup.sourceModule)
  const hooks: EventHook[] = []
  if (setup.mapping) hooks.push(compileMapping(setup.mapping))
  if (setup.hookModule) hooks.push(await defaultExport<EventHook>('--transform module', setup.hookModule))
  return { source, hooks, config: source.config.parse(setup.config) }
}

/** A batch's event lines, encoded as they come into one growing buffer that is handed over whole. */
class BufferSink implements LineSink {
  private buffer: Buffer
  position = 0
  /** Set when the slot's buffer was too small: the bigger one that replaces it. */
  grown: SharedArrayBuffer | undefined
  constructor(shared: SharedArrayBuffer) {
    this.buffer = Buffer.from(shared)
  }
  write(line: string): undefined {
    // A UTF-16 unit is at most 3 UTF-8 bytes.
    const worst = this.position + line.length * 3 + 1
    if (worst > this.buffer.length) {
      this.grown = new SharedArrayBuffer(Math.max(worst, this.buffer.length * 2))
      const bigger = Buffer.from(this.grown)
      this.buffer.copy(bigger, 0, 0, this.position)
      this.buffer = bigger
    }
    this.position += this.buffer.write(line, this.position, 'utf8')
    this.buffer[this.position++] = 0x0a
    return undefined
  }
}

class ArraySink implements LineSink {
  readonly lines: string[] = []
  get position(): number {
    return this.lines.length
  }
  write(line: string): undefined {
    this.lines.push(line)
    return undefined
  }
}

const ready = start()
// Loading failures surface on the first batch, with its partition.
ready.catch(() => {})
/** The buffers of the slots this worker was handed (see transform-pool.ts). */
const slots = new Map<number, { raw: SharedArrayBuffer; events: SharedArrayBuffer }>()
/** Keys committed by earlier partitions (sent by the main thread as they commit). */
const committed = new SeenSet()

/** The partition being transformed: the keys known to be claimed in it, and the claims of the batch at hand. */
interface Current {
  run: number
  p: PartitionState
  local: SeenSet
  inPartition: SeenSet
  line: number
  claims: number[]
  stager?: { stage: ReturnType<typeof recordStager>; deps: RecordStagerDeps }
}
let current: Current | undefined

port.on('message', (message: ToWorker) => {
  if (message.type === 'seen') for (const h of message.hashes) committed.add(h)
  else if (message.type === 'partition')
    current = {
      run: message.run,
      p: message.partition,
      local: new SeenSet(),
      inPartition: new SeenSet(),
      line: 0,
      claims: [],
    }
  else void transformBatch(message)
})

/** The stager of the current partition, its `once` answered from what this worker knows, claims logged. */
async function stagerFor(c: Current): Promise<NonNullable<Current['stager']>> {
  const { source, hooks, config } = await ready
  if (c.stager) return c.stager
  const ctx = transformContext(
    c.p,
    { source, identity: setup.identity, config, mappingOverrides: setup.mappingOverrides },
    (key) => {
      const h = SeenSet.hash(key)
      if (committed.has(h) || !c.local.add(h)) return false
      c.claims.push(c.line, h, 0)
      return true
    },
    (key) => {
      const h = SeenSet.hashInMemory(key)
      if (!c.inPartition.add(h)) return false
      c.claims.push(c.line, h, 1)
      return true
    },
  )
  const deps: RecordStagerDeps = {
    source,
    ctx,
    hooks,
    partitionKey: c.p.key,
    counts: emptyTransformCounts(),
    out: new ArraySink(),
    rejects: new ArraySink(),
  }
  c.stager = { stage: recordStager(deps), deps }
  return c.stager
}

async function transformBatch(message: Extract<ToWorker, { type: 'batch' }>): Promise<void> {
  // First of all: the pool counts this worker as holding these buffers from now on, whatever follows.
  if (message.raw && message.events) slots.set(message.slot, { raw: message.raw, events: message.events })
  try {
    const c = current
    // A partition the main thread has given up on: it waits for nothing but the answer.
    if (!c || c.run !== message.run) throw new Error('a batch of a partition given up on')
    const { stage, deps } = await stagerFor(c)
    for (const h of message.confirmed) c.local.add(h)
    const slot = slots.get(message.slot)
    if (!slot) throw new Error(`no buffers for slot ${message.slot}`)
    const bytes = Buffer.from(slot.raw, 0, message.length)
    const out = new BufferSink(slot.events)
    const rejects = new ArraySink()
    const counts = emptyTransformCounts()
    deps.out = out
    deps.rejects = rejects
    deps.counts = counts
    c.claims = []
    const records: number[] = []
    const filtered: Record<number, string> = {}
    const span: TimeSpan = {}
    const unclaimed: TimeSpan = {}
    let line = message.firstLine
    let start = 0
    for (;;) {
      const nl = bytes.indexOf(0x0a, start)
      const end = nl === -1 ? bytes.length : nl
      if (end > start) {
        c.line = line
        counts.records++
        const claimsBefore = c.claims.length
        const outByte = out.position
        const rejectFrom = rejects.position
        // In-memory sinks never ask to wait.
        const outcome = stage(bytes.toString('utf8', start, end), line) as RecordOutcome
        widen(span, outcome.first)
        widen(span, outcome.last)
        if (c.claims.length === claimsBefore) {
          widen(unclaimed, outcome.first)
          widen(unclaimed, outcome.last)
        } else {
          if (outcome.filtered !== undefined) filtered[records.length / RECORD_FIELDS] = outcome.filtered
          // As `claimingRecord` reads them.
          records.push(
            line,
            (c.claims.length - claimsBefore) / 3,
            outByte,
            out.position - outByte,
            rejectFrom,
            outcome.staged,
            outcome.produced,
            outcome.rejects,
          )
        }
        line++
      }
      if (nl === -1) break
      start = nl + 1
    }
    if (out.grown) slot.events = out.grown
    const result: BatchResult = {
      type: 'batch',
      id: message.id,
      eventsLength: out.position,
      ...(out.grown ? { events: out.grown } : {}),
      rejects: rejects.lines,
      counts,
      span,
      unclaimed,
      claims: Float64Array.from(c.claims),
      records: Float64Array.from(records),
      filtered,
    }
    port?.postMessage(result)
  } catch (error) {
    port?.postMessage({ type: 'failed', id: message.id, error: describe(error) } satisfies ToMain)
  }
}
