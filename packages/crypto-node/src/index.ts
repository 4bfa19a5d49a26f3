export {
  nodeCryptoProvider,
  cachedPublicKeyCount,
  ed25519Backend,
  opensslEd25519Sign,
  opensslEd25519Verify,
  PUBLIC_KEY_CACHE_SIZE,
} from './node-crypto-provider.js'
