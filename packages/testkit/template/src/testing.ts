export {
  FAKE_ACME_API_KEY,
  type FakeAcme,
  type FakeAcmeOptions,
  generateAcmeEvents,
  startFakeAcme,
} from './fake-server.js'
