// Run by install_test.mjs: require('seqtorch') from CommonJS gives the same module as import.
const seqtorch = require('seqtorch')
const { nn, tensor, Tensor } = seqtorch
const gru = new nn.GRU(3, 5)
const [out, h] = gru.forward(tensor([[[1, 2, 3]], [[4, 5, 6]]]))
if (out.shape.join(',') !== '2,1,5' || h.shape.join(',') !== '1,1,5') throw new Error(`GRU shapes ${out.shape} ${h.shape}`)
import('seqtorch').then((esm) => {
  if (esm.Tensor !== Tensor || !(out instanceof esm.Tensor)) throw new Error('require and import gave two copies of seqtorch')
  console.log(JSON.stringify({ exports: Object.keys(seqtorch).length, gruOut: out.shape, sameModuleAsImport: true }))
})
