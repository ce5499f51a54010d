import { type ChildProcess, spawn } from 'node:child_process'
import path from 'node:path'
import { SandboxClient } from '@ph-import/sandbox'
import { REPO } from './cli.js'

const MAIN = path.join(REPO, 'apps/sandbox/dist/main.js')

/**
 * The PostHog sandbox as its own process over a file data dir, so a test can SIGKILL it mid-import and
 * start it again on the same port: what it acknowledged before the kill must still be there.
 */
export class SandboxProcess {
  private child: ChildProcess | undefined
  private port = 0
  url = ''
  client = new SandboxClient('http://127.0.0.1')

  constructor(
    private readonly dataDir: string,
    private readonly flags: string[] = [],
  ) {}

  async start(): Promise<void> {
    const child = spawn(
      process.execPath,
      [MAIN, '--port', String(this.port), '--data-dir', this.dataDir, ...this.flags],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    this.child = child
    let output = ''
    this.url = await new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString()
        const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
        if (match?.[1]) resolve(match[1])
      }
      child.stdout?.on('data', onData)
      child.stderr?.on('data', onData)
      child.once('exit', (code) => reject(new Error(`sandbox exited (${code}) before listening:\n${output}`)))
    })
    this.port = Number(new URL(this.url).port)
    this.client = new SandboxClient(this.url)
  }

  /** SIGKILL: no shutdown hook runs, like a crash or an OOM kill. */
  async kill(): Promise<void> {
    const child = this.child
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
    this.child = undefined
  }

  async stop(): Promise<void> {
    await this.kill()
  }
}
