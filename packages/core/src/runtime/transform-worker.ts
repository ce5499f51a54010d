/**
 * A transform worker thread (see transform-pool.ts): loads the connector and the user's hooks from their
 * modules, transforms the partitions it is handed into `.partial` files, and commits each when the main
 * thread says every earlier partition is committed.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { compileMapping, type EventHook } from '../contracts/mapping.js'
import type { AnySource } from '../contracts/source.js'
import { SeenSet } from './seen-set.js'
import { JobPaths, type PartitionState } from './state.js'
import { type ToMain, type ToWorker, WITHOUT_WORKERS, type WorkerSetup } from './transform-pool.js'
import {
  commitTransform,
  type PartialTransform,
  type TransformStageOptions,
  transformToPartial,
} from './transform-stage.js'

const port = parentPort
if (!port) throw new Error('transform-worker.js runs as a worker thread only')
const setup = workerData as WorkerSetup

const send = (message: ToMain) => port.postMessage(message)

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

async function start(): Promise<TransformStageOptions> {
  const source = await defaultExport<AnySource>('connector module', setup.sourceModule)
  const hooks: EventHook[] = []
  if (setup.mapping) hooks.push(compileMapping(setup.mapping))
  if (setup.hookModule) hooks.push(await defaultExport<EventHook>('--transform module', setup.hookModule))
  return {
    source,
    identity: setup.identity,
    config: source.config.parse(setup.config),
    mappingOverrides: setup.mappingOverrides,
    paths: new JobPaths(setup.jobDir),
    seen: new SeenSet(),
    hooks,
    // The main thread terminates the worker to stop it.
    signal: new AbortController().signal,
    speculative: true,
  }
}

const ready = start()
// Loading failures surface on the first partition, with the partition's id.
ready.catch(() => {})
const partitions = new Map<number, { p: PartitionState; transformed: Promise<PartialTransform> }>()

port.on('message', (message: ToWorker) => {
  void handle(message)
})

async function handle(message: ToWorker): Promise<void> {
  if (message.type === 'seen') {
    const opts = await ready
    for (const h of message.hashes) opts.seen.add(h)
    return
  }
  const { id } = message
  try {
    const opts = await ready
    if (message.type === 'transform') {
      const transformed = transformToPartial(message.partition, opts)
      partitions.set(id, { p: message.partition, transformed })
      await transformed
      send({ type: 'transformed', id })
      return
    }
    const entry = partitions.get(id)
    if (!entry) throw new Error(`no transformed partition ${id} to commit`)
    partitions.delete(id)
    const claimed = await commitTransform(entry.p, await entry.transformed, opts)
    send({ type: 'committed', id, transform: entry.p.transform, claimed: Float64Array.from(claimed) })
  } catch (error) {
    partitions.delete(id)
    send({ type: 'failed', id, error: describe(error) })
  }
}
