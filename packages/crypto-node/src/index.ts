export {
  nodeCryptoProvider,
  cachedPublicKeyCount,
  ed25519VerifyBackend,
  opensslEd25519Verify,
  PUBLIC_KEY_CACHE_SIZE,
} from './node-crypto-provider.js'
