// Worker entry: lets the worker thread load TypeScript (tsx), then runs the training script.
import { register } from 'tsx/esm/api'

register()
await import('./train_worker_impl.ts')
