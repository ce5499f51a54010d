import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import type { z } from 'zod'
import type { AnySource, Partition, SourceDefinition } from '../contracts/source.js'
import { isUuid } from '../util/uuid.js'

interface RejectRow {
  partition: string
  line: number
  stage: 'transform' | 'load'
  code: string
  record: unknown
}

/**
 * A source that replays a job's dead letters through the original connector's transform (transform-stage
 * rejects hold the raw record) or as-is (load-stage rejects hold the final event), so a user who fixed the
 * mapping can re-send just what was rejected. It keeps the original name and identity, so uuids are the
 * same ones the original job would have produced. Given the original job's `partitions`, each record is
 * transformed with the partition it was read in (its kind and params: a time zone, a range, a profile
 * listing), as the original job transformed it.
 *
 * The description names the codes retried and a digest of the rejects file: the runtime hashes it into the
 * job id, so retrying other codes, or rejects the original job has gained since, is a new job, while the
 * same retry run again resumes (or reports done) instead of sending everything twice.
 */
export function createReprocessSource(
  original: AnySource,
  options: {
    rejectsFile: string
    identity: string
    codes?: readonly string[]
    partitions?: readonly Partition[]
    /** A digest of the rejects file's content, taken when the retry was asked for. */
    rejectsDigest?: string
  },
): SourceDefinition<z.ZodType, unknown> {
  const codes = options.codes ? new Set(options.codes) : undefined
  const partitions = options.partitions ? new Map(options.partitions.map((p) => [p.key, p])) : undefined
  // No API is called: the original's request budget, replanning and estimate do not apply.
  const { limits: _limits, replan: _replan, estimate: _estimate, ...rest } = original
  return {
    ...rest,
    description: [
      `re-process rejects of ${original.name}`,
      ...(options.codes ? [`codes ${[...options.codes].sort().join(',')}`] : []),
      ...(options.rejectsDigest ? [`rejects ${options.rejectsDigest}`] : []),
    ].join('; '),
    identity: () => options.identity,
    plan: () => [{ key: 'rejects', params: { file: options.rejectsFile } }],
    async *export() {
      const input = createReadStream(options.rejectsFile, 'utf8')
      let page: unknown[] = []
      for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
        if (!line) continue
        const row = JSON.parse(line) as RejectRow
        if (codes && !codes.has(row.code)) continue
        page.push({ stage: row.stage, record: row.record, partition: row.partition })
        if (page.length >= 5000) {
          yield { records: page }
          page = []
        }
      }
      if (page.length > 0) yield { records: page }
    },
    transform(raw, ctx) {
      const { stage, record, partition } = raw as Pick<RejectRow, 'stage' | 'record'> & {
        partition?: string
      }
      if (
        stage === 'load' &&
        record &&
        typeof record === 'object' &&
        isUuid((record as { uuid?: unknown }).uuid)
      ) {
        return record as ReturnType<AnySource['transform']>
      }
      if (!partitions || partition === undefined) return original.transform(record, ctx)
      const from = partitions.get(partition)
      if (!from) {
        return ctx.reject(
          'unknown_partition',
          `the reject was read in partition ${JSON.stringify(partition)}, which the original job does not have`,
        )
      }
      return original.transform(record, { ...ctx, partition: from })
    },
  }
}
