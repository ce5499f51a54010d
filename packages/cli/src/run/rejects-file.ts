import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'

export interface RejectSummary {
  total: number
  byCode: Array<{ stage: string; code: string; count: number; example: string }>
}

/** Counts a job's dead letters by stage and reason code, keeping the first message of each as an example. */
export async function summarizeRejects(file: string): Promise<RejectSummary> {
  const byKey = new Map<string, { stage: string; code: string; count: number; example: string }>()
  let total = 0
  try {
    const input = createReadStream(file, 'utf8')
    for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
      if (!line) continue
      const row = JSON.parse(line) as { stage?: string; code?: string; message?: string }
      const stage = row.stage ?? '?'
      const code = row.code ?? 'unknown'
      const key = `${stage}\u0000${code}`
      const entry = byKey.get(key) ?? { stage, code, count: 0, example: row.message ?? '' }
      entry.count++
      byKey.set(key, entry)
      total++
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  return { total, byCode: [...byKey.values()].sort((a, b) => b.count - a.count) }
}
