// Q3. Which of these is not sequence data? (An explanation; nothing to compute.)
//   npx tsx examples/q03_sequence_data.ts

console.log(`Answer: 3. students' heights and weights

Why:
- Sequence data is data whose order carries meaning.
- Each student's height and weight describe that student alone; shuffling the students changes nothing.

Why the others are sequences:
1. Daily stock prices: time order matters (today's price depends on yesterday's).
2. Movie review text: word order decides meaning ("not good" vs "good not").
4. Speech waveforms: sound changing over time; order is essential.

Sequence data -> RNN, LSTM, GRU, Transformer. Tabular data -> MLP, decision trees, XGBoost.`)
