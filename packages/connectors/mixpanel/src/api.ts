import { FatalError, type PhImportError, parseRetryAfter, RetriableError } from '@ph-import/core'
import type { MixpanelConfig, MixpanelRegion } from './schema.js'

const EXPORT_HOSTS: Record<MixpanelRegion, string> = {
  us: 'https://data.mixpanel.com',
  eu: 'https://data-eu.mixpanel.com',
  in: 'https://data-in.mixpanel.com',
}
const QUERY_HOSTS: Record<MixpanelRegion, string> = {
  us: 'https://mixpanel.com',
  eu: 'https://eu.mixpanel.com',
  in: 'https://in.mixpanel.com',
}

function base(config: MixpanelConfig, hosts: Record<MixpanelRegion, string>): string {
  return (config.baseUrl ?? hosts[config.region]).replace(/\/+$/, '')
}

export function exportUrl(config: MixpanelConfig): string {
  return `${base(config, EXPORT_HOSTS)}/api/2.0/export`
}

export function engageUrl(config: MixpanelConfig): string {
  return `${base(config, QUERY_HOSTS)}/api/query/engage`
}

/**
 * Basic auth built by hand rather than with got's username/password, which live on the URL object
 * and could surface in an error message. Service accounts also need `project_id` on every request;
 * the legacy secret identifies its project by itself.
 */
export function authOf(config: MixpanelConfig): {
  headers: { authorization: string }
  project: Record<string, string>
} {
  const service = config.serviceAccountUsername !== undefined && config.serviceAccountSecret !== undefined
  const pair = service
    ? `${config.serviceAccountUsername}:${config.serviceAccountSecret}`
    : `${config.apiSecret ?? ''}:`
  return {
    headers: { authorization: `Basic ${Buffer.from(pair, 'utf8').toString('base64')}` },
    project: service && config.projectId !== undefined ? { project_id: String(config.projectId) } : {},
  }
}

/**
 * Mixpanel's non-200 answers → what the runtime does. Export error bodies are plain strings (not
 * JSON), so we match on text. Fatal messages name the flag to change.
 */
export function mixpanelHttpError(
  status: number,
  body: string,
  retryAfter: string | string[] | undefined,
  where: string,
  endpoint: 'export' | 'engage' | 'group-profiles',
): PhImportError {
  const text = body.replace(/\s+/g, ' ').trim().slice(0, 300)
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(retryAfter)
    return new RetriableError(`${where}: Mixpanel rate limit (429): ${text}`, {
      rateLimited: true,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    })
  }
  if (status >= 500 || status === 408)
    return new RetriableError(`${where}: Mixpanel answered ${status} ${text}`.trim())
  if (status === 400 && /to_date cannot be later than today/i.test(body)) {
    return new FatalError(`${where}: Mixpanel says to_date is later than today in the project's time zone`, {
      hint: "set --timezone to the project's time zone (Project settings → Overview) or an earlier --end",
    })
  }
  if (status === 401 || (status === 400 && /unable to authenticate/i.test(body))) {
    return new FatalError(`${where}: Mixpanel refused the credentials (${status}): ${text}`, {
      hint: 'check the service account username/secret or MIXPANEL_API_SECRET, and --region (EU/India projects need --region eu|in)',
    })
  }
  if (status === 403) {
    return new FatalError(`${where}: Mixpanel denied access (403): ${text}`, {
      hint: 'check --project-id and give the service account a role on that project',
    })
  }
  if (status === 402) {
    return new FatalError(`${where}: Mixpanel says the plan does not allow API calls (402): ${text}`, {
      hint:
        endpoint === 'engage'
          ? 'free plans gate the Engage API: re-run with --no-profiles, or upgrade the Mixpanel plan'
          : endpoint === 'group-profiles'
            ? 'group profiles need Group Analytics and the Engage API: re-run without --group-profiles (events keep their $groups), or upgrade the Mixpanel plan'
            : 'upgrade the Mixpanel plan; raw export needs API access',
    })
  }
  return new FatalError(`${where}: Mixpanel answered ${status}: ${text}`, {
    hint:
      endpoint === 'group-profiles'
        ? "check --group-profiles: each key's data_group_id is listed under Mixpanel's Project settings → Group keys"
        : 'check --start/--end, --events and --where',
  })
}
