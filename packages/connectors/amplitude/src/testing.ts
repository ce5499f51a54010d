export {
  amplitudeTime,
  type FakeAmplitudeRow,
  type FakeDataOptions,
  generateAmplitudeRows,
} from './fake-data.js'
export {
  type FakeAmplitude,
  type FakeAmplitudeKnobs,
  type FakeAmplitudeOptions,
  type FakeAmplitudeRequest,
  startFakeAmplitude,
} from './fake-server.js'
export { formatHour } from './hours.js'
