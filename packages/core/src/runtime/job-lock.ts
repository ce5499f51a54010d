import { open, readFile, rm } from 'node:fs/promises'
import { ConfigError } from '../contracts/errors.js'

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * One process per job directory: two runs of the same job would both send the same batches.
 * A lock left by a killed process (its pid is gone) is taken over.
 */
export async function acquireJobLock(file: string, jobId: string): Promise<() => Promise<void>> {
  for (let i = 0; i < 2; i++) {
    try {
      const handle = await open(file, 'wx')
      await handle.writeFile(String(process.pid))
      await handle.close()
      return async () => {
        await rm(file, { force: true })
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const pid = Number(await readFile(file, 'utf8').catch(() => ''))
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new ConfigError(`job ${jobId} is already running in process ${pid}`, {
          hint: 'wait for it to finish, or stop it (Ctrl-C) and run the command again',
        })
      }
      await rm(file, { force: true })
    }
  }
  throw new ConfigError(`could not lock job ${jobId}`)
}
