import type { FakeProfile } from './fake-data.js'
import type { FakeProject } from './fake-projects.js'

const sessions = new Map<string, FakeProfile[]>()
let sessionCounter = 0

function json(status: number, value: unknown) {
  return { status, body: JSON.stringify(value) }
}

/**
 * Engage paging as documented: page 0 opens a session and is the only page with `total`; later pages
 * must send that `session_id` ("If the page parameter is provided and above 0, the session_id
 * parameter must also be provided"). Filters: `distinct_id`, `distinct_ids`; `data_group_id` lists the
 * profiles of that group key instead of users' (an id the project has no key for is a 400: the real
 * status and wording are not documented).
 */
export function handleEngage(project: FakeProject, params: Record<string, string>, pageSize: number) {
  const page = params.page === undefined ? 0 : Number(params.page)
  if (!Number.isInteger(page) || page < 0)
    return json(400, { error: 'page must be a non-negative integer', status: 'error' })
  const sessionId = params.session_id
  if (page > 0 && !sessionId) {
    return json(400, { error: 'session_id is required when page is greater than 0', status: 'error' })
  }
  let snapshot: FakeProfile[] | undefined
  let id = sessionId
  if (id) {
    snapshot = sessions.get(`${project.id}/${id}`)
    if (!snapshot) return json(400, { error: `unknown or expired session_id ${id}`, status: 'error' })
  } else {
    let wanted: Set<string> | undefined
    if (params.distinct_id) wanted = new Set([params.distinct_id])
    if (params.distinct_ids) wanted = new Set(JSON.parse(params.distinct_ids) as string[])
    const group = params.data_group_id
    let listed = project.profiles
    if (group !== undefined) {
      const key = project.groups.find((g) => g.dataGroupId === group)
      if (!key)
        return json(400, {
          error: `data_group_id ${group} is not a group key of this project`,
          status: 'error',
        })
      listed = key.profiles
    }
    snapshot = listed.filter((p) => !wanted || wanted.has(p.$distinct_id))
    id = `${1700000000 + ++sessionCounter}-FAKE${project.id}`
    sessions.set(`${project.id}/${id}`, snapshot)
  }
  const results = snapshot.slice(page * pageSize, (page + 1) * pageSize)
  return json(200, {
    page,
    page_size: pageSize,
    results,
    session_id: id,
    status: 'ok',
    ...(page === 0 ? { total: snapshot.length } : {}),
  })
}
