import { readFile, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { ConfigError, MappingConfig } from '@ph-import/core'
import { z } from 'zod'

/**
 * What the CLI needs to re-run a job besides the connector config core keeps in state.json: the
 * destination host, rate, mapping and transform. Never a secret: keys come from env or flags again.
 */
export const JobSettings = z.object({
  connector: z.string(),
  posthogHost: z.string(),
  rate: z.number().optional(),
  batchSize: z.number().optional(),
  /** Transform worker threads (`--workers`). */
  workers: z.number().int().min(1).optional(),
  /** `--max-staged`: GB staged and not yet sent before exporting waits. */
  maxStagedGb: z.number().positive().optional(),
  /** `--keep-staged`: kept with the job, so a resume does not remove what the user asked to keep. */
  keepStaged: z.boolean().optional(),
  mapping: MappingConfig.optional(),
  mappingFile: z.string().optional(),
  transformFile: z.string().optional(),
  dryRun: z.boolean(),
  output: z.string().optional(),
  /** Set for a job that re-processes another job's rejects. */
  reprocess: z
    .object({
      jobId: z.string(),
      rejectsFile: z.string(),
      identity: z.string(),
      codes: z.array(z.string()).optional(),
      /** A digest of the rejects file when the retry was asked for (part of the job id). */
      rejectsDigest: z.string().optional(),
      /** The original job's partitions transformed then: the retry uses their ctx.once claims only. */
      claimed: z.array(z.string()).optional(),
      /** The original job's partitions: each reject is transformed again with the one it was read in. */
      partitions: z
        .array(
          z.object({
            key: z.string(),
            kind: z.string().optional(),
            params: z.record(z.string(), z.json()),
          }),
        )
        .optional(),
    })
    .optional(),
})
export type JobSettings = z.infer<typeof JobSettings>

const fileIn = (jobDir: string) => path.join(jobDir, 'cli.json')

export async function saveJobSettings(jobDir: string, settings: JobSettings): Promise<void> {
  const file = fileIn(jobDir)
  await writeFile(`${file}.tmp`, `${JSON.stringify(settings, null, 2)}\n`)
  await rename(`${file}.tmp`, file)
}

export async function readJobSettings(jobDir: string): Promise<JobSettings> {
  let text: string
  try {
    text = await readFile(fileIn(jobDir), 'utf8')
  } catch {
    throw new ConfigError(`${jobDir} was not started by the ph-import CLI (no cli.json)`, {
      hint: 'run the original import command again: it resumes the same job',
    })
  }
  return JobSettings.parse(JSON.parse(text))
}
