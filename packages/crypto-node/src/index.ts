export {
  nodeCryptoProvider,
  cachedPublicKeyCount,
  PUBLIC_KEY_CACHE_SIZE,
} from './node-crypto-provider.js'
