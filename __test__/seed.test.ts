// Every check the seed notebook makes, through the examples that port it.

import { describe, expect, test } from 'vitest'

import { q01 } from '../examples/q01_rnn_shapes.js'
import { q02 } from '../examples/q02_hidden_state.js'
import { q04 } from '../examples/q04_lstm_gates.js'
import { q05 } from '../examples/q05_parameter_counts.js'
import { q06 } from '../examples/q06_bidirectional.js'
import { q07 } from '../examples/q07_windows.js'
import { q08 } from '../examples/q08_embedding.js'
import { q09 } from '../examples/q09_sine_lstm.js'
import { q10, testReviews } from '../examples/q10_sentiment_gru.js'

describe('seed notebook', () => {
  test('Q1: outputs [16, 20, 100], h_n [2, 16, 100]', () => {
    expect(q01()).toEqual({ outputs: [16, 20, 100], hN: [2, 16, 100] })
  })

  test('Q2: outputs[:, -1, :] equals h_n (1 layer) and h_n[-1] (2 layers)', () => {
    expect(q02()).toEqual({ lastShape: [4, 20], squeezedShape: [4, 20], single: true, multi: true })
  })

  test("Q4: the gate formulas reproduce nn.LSTMCell's step", () => {
    expect(q04()).toBeLessThan(1e-6)
  })

  test('Q5: LSTM 117,760 vs GRU 88,320 parameters, ratio 75.00%', () => {
    expect(q05()).toEqual({ lstm: 117_760, gru: 88_320, ratio: '75.00%' })
  })

  test('Q6: bidirectional LSTM outputs [8, 15, 128], h_n and c_n [2, 8, 64]', () => {
    expect(q06()).toEqual({ outputs: [8, 15, 128], hN: [2, 8, 64], cN: [2, 8, 64] })
  })

  test('Q7: X (5, 5), y (5,), first window and target', () => {
    const [X, y] = q07()
    expect(X.shape).toEqual([5, 5])
    expect(y.shape).toEqual([5])
    expect((X.toArray() as number[][])[0]).toEqual([100, 102, 105, 103, 108])
    expect((y.toArray() as number[])[0]).toBe(110)
  })

  test('Q8: embedded [4, 10, 64], weight [1000, 64] with 64,000 parameters', () => {
    const { x, embedded, weight } = q08()
    expect(x.dtype).toBe('int64')
    expect(embedded.shape).toEqual([4, 10, 64])
    expect(embedded.dtype).toBe('float32')
    expect(weight.shape).toEqual([1000, 64])
    expect(weight.numel()).toBe(64_000)
  })

  test('Q9: the sine LSTM reaches test MSE <= 0.02 (original scale) and beats the last value', () => {
    const r = q09()
    expect(r.losses).toHaveLength(30)
    expect(r.losses[29]!).toBeLessThan(r.losses[0]!)
    expect(r.testMse).toBeLessThanOrEqual(0.02)
    expect(r.testMse).toBeLessThan(r.naiveMse)
  }, 60_000)

  test('Q10: the sentiment GRU classifies all six test reviews correctly', () => {
    const { predictions, losses } = q10()
    expect(losses).toHaveLength(50)
    expect(predictions.map((r) => r.sentiment)).toEqual(testReviews.map(([, s]) => s))
  }, 60_000)
})
