import { posthogDestinationSuite } from './posthog-suite.js'

posthogDestinationSuite('fetch')
