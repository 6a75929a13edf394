// Streaming inference: feed a recurrent layer one time step per call and keep its state
// between calls (a chat model reading tokens as they arrive, a sensor model reading samples).

import { isGradEnabled } from '../autograd.js'
import type { Tensor } from '../tensor.js'

/** A layer that can advance one time step: `step(x_t, state?)` returns `[y_t, state']`. */
export interface Steppable<S> {
  step(input: Tensor, state?: S | null): [Tensor, S]
}

/**
 * Holds a layer's recurrent state between `step` calls. Each call runs the layer's fused
 * kernels on one time step with the layer's prepared weights (transposed once, reused until a
 * parameter changes), so per-token inference copies no weights.
 *
 * The carried state is detached after every step: a stream never grows an autograd graph, so
 * it runs for any number of tokens in constant memory (use `layer.step` directly to backpropagate
 * through steps). Without grad mode, a state that only the stream held is freed as soon as the
 * next step replaces it; a state you passed in or read through `state` is left to you.
 * @example
 * ```ts
 * import { nn, noGrad, randn } from 'seqtorch'
 * const gru = new nn.GRU(8, 32, { numLayers: 2 }).eval()
 * const stream = gru.stream()
 * noGrad(() => {
 *   for (let t = 0; t < 100; t++) {
 *     const y = stream.step(randn(1, 8)) // [1, 32]: the top layer's output at this step
 *   }
 * })
 * stream.reset() // the next step starts from zeros again
 * ```
 */
export class RecurrentStream<S extends Tensor | readonly [Tensor, Tensor]> {
  private current: S | null
  /** Whether the caller may hold `current` (given to us, or read through `state`). */
  private shared = true

  constructor(
    private readonly layer: Steppable<S>,
    state: S | null = null,
  ) {
    this.current = state
  }

  /** The state after the last step (`null` before the first: zeros, as in `forward`). */
  get state(): S | null {
    this.shared = true
    return this.current
  }

  /** Runs one time step: `input` is [batch, inputSize] or [inputSize]; returns the output. */
  step(input: Tensor): Tensor {
    const previous = this.current
    const [y, next] = this.layer.step(input, previous)
    // Without grad mode the state has no history to cut.
    const grad = isGradEnabled()
    const detach = (t: Tensor) => (grad ? t.detach() : t)
    this.current = (Array.isArray(next) ? [detach(next[0]), detach(next[1])] : detach(next as Tensor)) as unknown as S
    // A state only this stream ever held is freed now rather than by garbage collection: a
    // server stepping many streams otherwise leaves two or three dead tensors a step for the
    // collector, whose finalizers then run in one pause (bench/NOTES.md).
    if (previous !== null && !this.shared && !grad) {
      for (const t of Array.isArray(previous) ? previous : [previous as Tensor]) t.dispose()
    }
    this.shared = false
    return y
  }

  /** Starts a new sequence: zero state, or the given one. */
  reset(state: S | null = null): void {
    this.current = state
    this.shared = true
  }
}
