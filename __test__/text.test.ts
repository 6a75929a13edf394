import { expect, test } from 'vitest'

import { text } from '../index.js'

const seedVocab = {
  '<PAD>': 0, '<UNK>': 1, this: 2, movie: 3, was: 4, is: 5, great: 6, good: 7, bad: 8, terrible: 9, amazing: 10,
  awful: 11, boring: 12, exciting: 13, the: 14, a: 15, very: 16, really: 17, loved: 18, hated: 19, it: 20, film: 21,
}

test("Vocab.fromDict encodes like the notebook's text_to_indices (pad and truncate to 10)", () => {
  const v = text.Vocab.fromDict(seedVocab)
  expect(v.length).toBe(22)
  expect(v.encode('This movie was GREAT', { maxLen: 10 })).toEqual([2, 3, 4, 6, 0, 0, 0, 0, 0, 0])
  expect(v.encode('really loved it unknownword', { maxLen: 3 })).toEqual([17, 18, 20])
  expect(v.encode('awful zzz')).toEqual([11, 1])
  const batch = v.encodeBatch(['very bad film', 'amazing movie'], { maxLen: 4 })
  expect(batch.dtype).toBe('int64')
  expect(batch.toArray()).toEqual([[16, 8, 21, 0], [10, 3, 0, 0]])
  expect(v.decode([2, 3, 99])).toEqual(['this', 'movie', '<UNK>'])
})

test('Vocab.build orders specials, then frequency, then first appearance; minFreq and JSON', () => {
  const v = text.Vocab.build(['b a a', 'c b a', 'd'], { minFreq: 1 })
  expect(v.itos).toEqual(['<PAD>', '<UNK>', 'a', 'b', 'c', 'd'])
  expect(text.Vocab.build(['b a a', 'c b a', 'd'], { minFreq: 2 }).itos).toEqual(['<PAD>', '<UNK>', 'a', 'b'])
  const back = text.Vocab.fromJSON(JSON.parse(JSON.stringify(v)))
  expect(back.encode('d a x')).toEqual([5, 2, 1])
  expect(() => text.Vocab.fromDict({ a: 0, b: 2 })).toThrow('ids must be exactly 0..n-1')
})
