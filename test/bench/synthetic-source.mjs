// A synthetic source for benchmarks: `events` realistic events over `days` day partitions, generated on the
// fly (no input files), ~400 bytes each on the wire.
import { defineSource, toIsoTimestamp } from '@ph-import/core'
import { z } from 'zod'

const DAY0 = Date.UTC(2023, 0, 1)
const NAMES = ['$pageview', 'signup', 'purchase', 'click', 'search', 'add_to_cart', 'share']
const BROWSERS = ['Chrome', 'Firefox', 'Safari', 'Edge']

export const syntheticSource = defineSource({
  name: 'synthetic',
  description: 'generated events for benchmarks',
  config: z.object({
    events: z.number().int().min(1),
    days: z.number().int().min(1).default(10),
    pageSize: z.number().default(5000),
  }),
  identity: () => 'bench',
  plan: ({ config }) =>
    Array.from({ length: config.days }, (_, d) => ({
      key: `day-${String(d).padStart(4, '0')}`,
      order: toIsoTimestamp(DAY0 + d * 86_400_000),
      params: { d },
    })),
  async *export({ config, partition }) {
    const d = partition.params.d
    const perDay = Math.floor(config.events / config.days) + (d < config.events % config.days ? 1 : 0)
    const step = Math.max(1, Math.floor(86_400_000 / Math.max(1, perDay)))
    for (let i = 0; i < perDay; i += config.pageSize) {
      const records = []
      for (let k = i; k < Math.min(perDay, i + config.pageSize); k++) {
        const n = d * 1_000_000_000 + k
        records.push({
          id: `e${n}`,
          name: NAMES[k % NAMES.length],
          user: `user-${(k * 7919) % 50_000}`,
          time: DAY0 + d * 86_400_000 + k * step,
          props: {
            path: `/page/${k % 300}`,
            browser: BROWSERS[k % 4],
            plan: k % 3 ? 'free' : 'pro',
            amount: (k % 1000) / 10,
            referrer: 'https://example.com/search?q=ph-import',
            session: `s-${Math.floor(k / 20)}`,
          },
        })
      }
      yield { records }
    }
  },
  transform: (raw, ctx) => ({
    event: raw.name,
    distinct_id: raw.user,
    uuid: ctx.uuid(raw.id),
    timestamp: toIsoTimestamp(raw.time),
    properties: {
      ...raw.props,
      $current_url: `https://app.example.com${raw.props.path}`,
      $import_source: 'synthetic',
    },
  }),
})
