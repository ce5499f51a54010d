import { defineSource } from '@ph-import/core'
import { exportAcme } from './export.js'
import { planAcme } from './plan.js'
import { AcmeConfig, type RawAcmeEvent } from './schema.js'
import { acmeRejectCodes, transformAcme } from './transform.js'

export const acmeSource = defineSource<typeof AcmeConfig, RawAcmeEvent>({
  name: 'acme',
  description: 'Acme Analytics events API, one UTC day at a time',
  config: AcmeConfig,
  capabilities: { range: true, cursor: true, http: true },
  limits: { requestsPerSecond: 10, concurrency: 1 },
  plan: planAcme,
  export: exportAcme,
  transform: transformAcme,
  rejectCodes: acmeRejectCodes,
})

export default acmeSource
export { AcmeConfig, RawAcmeEvent } from './schema.js'
export { transformAcme } from './transform.js'
