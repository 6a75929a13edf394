// The `text` namespace.

export { Vocab } from './vocab.js'
export type { VocabBuildOptions, EncodeOptions } from './vocab.js'
