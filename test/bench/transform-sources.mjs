// Source data for the transform benchmark, one recipe per connector: files on disk or a local fake API.
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import amplitude from '@ph-import/connector-amplitude'
import { startFakeAmplitude } from '@ph-import/connector-amplitude/testing'
import csv from '@ph-import/connector-csv'
import { writeSyntheticCsv } from '@ph-import/connector-csv/testing'
import jsonl from '@ph-import/connector-jsonl'
import mixpanel from '@ph-import/connector-mixpanel'
import { startFakeMixpanel } from '@ph-import/connector-mixpanel/testing'

const none = async () => {}

/** The connectors by name, for the process that only transforms. */
export const sources = { csv, jsonl, amplitude, mixpanel }
/** The packages they come from, for worker threads that import the source themselves. */
export const sourcePackages = {
  csv: '@ph-import/connector-csv',
  jsonl: '@ph-import/connector-jsonl',
  amplitude: '@ph-import/connector-amplitude',
  mixpanel: '@ph-import/connector-mixpanel',
}

export async function prepare(connector, events, dir) {
  if (connector === 'csv') {
    const file = path.join(dir, 'events.csv')
    await writeSyntheticCsv(file, { rows: events })
    return {
      source: csv,
      config: {
        files: [file],
        eventColumn: 'event',
        distinctIdColumn: 'distinct_id',
        timestampColumn: 'timestamp',
        idColumn: 'n',
      },
      close: none,
    }
  }
  if (connector === 'jsonl') {
    const file = path.join(dir, 'events.jsonl')
    const lines = []
    for (let i = 0; i < events; i++) {
      lines.push(
        JSON.stringify({
          event: ['$pageview', 'signup', 'purchase'][i % 3],
          distinct_id: `user-${i % 5000}`,
          timestamp: new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString(),
          properties: {
            $current_url: `https://example.com/p/${i % 300}`,
            plan: i % 2 ? 'free' : 'pro',
            amount: i % 100,
          },
        }),
      )
    }
    writeFileSync(file, `${lines.join('\n')}\n`)
    return { source: jsonl, config: { files: [file] }, close: none }
  }
  if (connector === 'amplitude') {
    const days = Math.max(1, Math.ceil(events / 100_000))
    const end = new Date(Date.UTC(2024, 2, 1 + days)).toISOString()
    const fake = await startFakeAmplitude({
      start: '2024-03-01T00:00:00Z',
      end,
      events,
      now: new Date(Date.UTC(2024, 5, 1)),
    })
    return {
      source: amplitude,
      config: {
        apiKey: fake.apiKey,
        secretKey: fake.secretKey,
        baseUrl: fake.url,
        start: '2024-03-01',
        end: end.slice(0, 10),
      },
      close: () => fake.close(),
    }
  }
  if (connector === 'mixpanel') {
    const days = 10
    const fake = await startFakeMixpanel({
      now: Date.UTC(2024, 5, 1),
      projects: [
        {
          id: 1234,
          from: '2024-03-01',
          to: '2024-03-10',
          eventsPerDay: Math.ceil(events / days),
          duplicateRate: 0,
        },
      ],
    })
    const project = fake.project()
    return {
      source: mixpanel,
      config: {
        projectId: 1234,
        serviceAccountUsername: project.serviceAccount?.username,
        serviceAccountSecret: project.serviceAccount?.secret,
        baseUrl: fake.url,
        start: '2024-03-01',
        end: '2024-03-10',
        profiles: false,
      },
      close: () => fake.close(),
    }
  }
  throw new Error(`no transform benchmark recipe for ${connector}`)
}
