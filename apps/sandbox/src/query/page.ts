import type { SandboxStats } from '../types.js'

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

function table(title: string, counts: Record<string, number>): string {
  const rows = Object.entries(counts)
    .map(([key, count]) => `<tr><td>${escapeHtml(key)}</td><td>${count}</td></tr>`)
    .join('')
  return `<h2>${title}</h2><table><tr><th>${title.split(' ').pop()}</th><th>events</th></tr>${rows}</table>`
}

/** A self-contained overview page: no scripts, no external assets. */
export function renderIndexPage(stats: SandboxStats, url: string, apiKeys: readonly string[]): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>PostHog sandbox</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem}table{border-collapse:collapse;margin-bottom:1rem}
td,th{border:1px solid #ccc;padding:.2rem .6rem;text-align:left}td:last-child{text-align:right}</style></head>
<body><h1>PostHog sandbox</h1>
<p>Capture at <code>${escapeHtml(url)}</code> with project key ${apiKeys.map((k) => `<code>${escapeHtml(k)}</code>`).join(', ')}.
${stats.received} events received, ${stats.unique_uuids} unique uuids, ${stats.duplicates} duplicates,
${stats.distinct_ids} distinct ids, ${stats.requests} requests.</p>
${table('Events per day', stats.events_by_day)}
${table('Events per name', stats.events_by_name)}
<p>JSON: <a href="/_sandbox/stats">stats</a>, <a href="/_sandbox/events?limit=100">events</a>,
<a href="/_sandbox/persons">persons</a>, <a href="/_sandbox/faults">faults</a>.</p>
</body></html>`
}
