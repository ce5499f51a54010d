import { posthogDestinationSuite } from './posthog-suite.js'

posthogDestinationSuite('posthog-node')
