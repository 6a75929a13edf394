//! GPU memory and the primitive ops on it: `BackendStorage` for CUDA. Strided operands are read
//! in place by the elementwise kernels (kernels/layout.cuh); reductions and index ops gather a
//! contiguous copy first; products go to cuBLAS, which reads row-major and transposed matrices
//! as they are. Random fills draw from seqtorch's own generator on the host and upload, so a
//! seed gives the same numbers on every device.

use cudarc::cublas::{Gemm, GemmConfig, StridedBatchedConfig};
use cudarc::driver::{CudaSlice, DeviceRepr, PushKernelArg, ValidAsZeroBits};

use super::device::{driver, grid, CudaDevice};
use crate::backend::{
    BackendDevice, BackendStorage, BinaryOp, CpuDevice, CpuStorage, MatmulDims, UnaryOp,
};
use crate::{bail, DType, Device, Layout, Result};

/// `StLayout` in kernels/layout.cuh.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct StLayout {
    ndim: i32,
    offset: u64,
    shape: [u64; 8],
    strides: [u64; 8],
}

// SAFETY: plain old data with the C layout the kernels declare.
unsafe impl DeviceRepr for StLayout {}

pub(crate) fn st_layout(l: &Layout) -> Result<StLayout> {
    if l.shape().len() > 8 {
        bail!(
            value,
            "CUDA kernels address at most 8 dimensions, got a {}-D view (make it contiguous first)",
            l.shape().len()
        );
    }
    let mut s = StLayout {
        ndim: l.shape().len() as i32,
        offset: l.offset() as u64,
        shape: [1; 8],
        strides: [0; 8],
    };
    for (i, (&d, &st)) in l.shape().iter().zip(l.strides()).enumerate() {
        s.shape[i] = d as u64;
        s.strides[i] = st as u64;
    }
    Ok(s)
}

#[derive(Debug)]
pub enum CudaData {
    F32(CudaSlice<f32>),
    I64(CudaSlice<i64>),
}

#[derive(Debug)]
pub struct CudaStorage {
    data: CudaData,
    /// Elements (the buffer may hold one more: empty tensors get a one-element allocation).
    len: usize,
    device: CudaDevice,
}

pub(crate) fn alloc<T: DeviceRepr + ValidAsZeroBits>(
    dev: &CudaDevice,
    n: usize,
) -> Result<CudaSlice<T>> {
    // cudarc refuses zero-length allocations on some drivers; one element stands in for none.
    driver("allocation", dev.stream().alloc_zeros::<T>(n.max(1)))
}

/// The unary kernel's op code (kernels/elementwise.cu) and its float argument.
fn unary_code(op: UnaryOp) -> (i32, f32) {
    match op {
        UnaryOp::Neg => (0, 0.0),
        UnaryOp::Exp => (1, 0.0),
        UnaryOp::Log => (2, 0.0),
        UnaryOp::Sigmoid => (3, 0.0),
        UnaryOp::Tanh => (4, 0.0),
        UnaryOp::Relu => (5, 0.0),
        UnaryOp::Sin => (6, 0.0),
        UnaryOp::Cos => (7, 0.0),
        UnaryOp::Abs => (8, 0.0),
        UnaryOp::Sign => (9, 0.0),
        UnaryOp::Sqrt => (10, 0.0),
        UnaryOp::Square => (11, 0.0),
        UnaryOp::Powf(p) => (12, p),
        UnaryOp::EqMask(v) => (13, v),
        UnaryOp::ClampMin(v) => (14, v),
        UnaryOp::ClampMax(v) => (15, v),
        UnaryOp::GtMask(v) => (16, v),
        UnaryOp::LtMask(v) => (17, v),
    }
}

fn binary_code(op: BinaryOp) -> i32 {
    match op {
        BinaryOp::Add => 0,
        BinaryOp::Sub => 1,
        BinaryOp::Mul => 2,
        BinaryOp::Div => 3,
        BinaryOp::SigmoidBackward => 4,
        BinaryOp::TanhBackward => 5,
        BinaryOp::ReluBackward => 6,
    }
}

/// (outer, size, inner) around dimension `d` of `shape`.
fn split(shape: &[usize], d: usize) -> (usize, usize, usize) {
    (
        shape[..d].iter().product(),
        shape[d],
        shape[d + 1..].iter().product(),
    )
}

impl CudaStorage {
    pub fn new(data: CudaData, len: usize, device: CudaDevice) -> CudaStorage {
        CudaStorage { data, len, device }
    }

    /// The float32 buffer (a fused kernel's operand); an error for int64 storage.
    pub(crate) fn f32_slice(&self) -> Result<&CudaSlice<f32>> {
        match &self.data {
            CudaData::F32(s) => Ok(s),
            CudaData::I64(_) => bail!(type, "expected a float32 tensor, got int64"),
        }
    }

    /// The float32 buffer for an in-place kernel; an error for int64 storage.
    pub(crate) fn f32_slice_mut(&mut self) -> Result<&mut CudaSlice<f32>> {
        match &mut self.data {
            CudaData::F32(s) => Ok(s),
            CudaData::I64(_) => bail!(type, "expected a float32 tensor, got int64"),
        }
    }

    fn with(&self, data: CudaData, len: usize) -> CudaStorage {
        CudaStorage {
            data,
            len,
            device: self.device.clone(),
        }
    }

    fn check_same_device(&self, other: &CudaStorage) -> Result<()> {
        if !self.device.same(&other.device) {
            return Err(crate::device::mismatch(self.device(), other.device()));
        }
        Ok(())
    }

    /// `kernel(out, x, layout, n)` over the elements `layout` addresses: gathers, conversions.
    fn map_layout<O: DeviceRepr + ValidAsZeroBits>(
        &self,
        layout: &Layout,
        module: &'static str,
        kernel: &str,
    ) -> Result<CudaSlice<O>> {
        let n = layout.numel();
        let mut out = alloc::<O>(&self.device, n)?;
        if n == 0 {
            return Ok(out);
        }
        let f = self.device.function(module, kernel)?;
        let (st, n64) = (st_layout(layout)?, n as u64);
        let stream = self.device.stream();
        let mut b = stream.launch_builder(&f);
        b.arg(&mut out);
        match &self.data {
            CudaData::F32(x) => b.arg(x),
            CudaData::I64(x) => b.arg(x),
        };
        b.arg(&st).arg(&n64);
        // SAFETY: `kernel` is one of elementwise.cu's (out, x, StLayout, n) kernels for these
        // element types; `out` holds n elements and the layout addresses only elements of x
        // (checked when the view was made).
        driver(kernel, unsafe { b.launch(grid(n)) })?;
        Ok(out)
    }

    /// A contiguous float32 copy of the view (int64 converted).
    fn f32_contiguous(&self, layout: &Layout) -> Result<CudaSlice<f32>> {
        match &self.data {
            CudaData::F32(_) => self.map_layout(layout, "elementwise", "gather_f32"),
            CudaData::I64(_) => self.map_layout(layout, "elementwise", "i64_to_f32"),
        }
    }

    /// `[b, r, c]` operand of a product as cuBLAS reads it: the pointer offset, whether cuBLAS
    /// must transpose it (it is column-major), its leading dimension and its batch stride; None
    /// when the view is neither row- nor column-major per matrix.
    fn gemm_view(layout: &Layout) -> Option<(usize, bool, usize, usize)> {
        let (shape, st) = (layout.shape(), layout.strides());
        let (r, c) = (shape[1], shape[2]);
        let batch_stride = if shape[0] == 1 { 0 } else { st[0] };
        if st[2] == 1 || c == 1 {
            let ld = if r == 1 { c.max(1) } else { st[1] };
            if ld >= c.max(1) {
                return Some((layout.offset(), false, ld, batch_stride));
            }
        }
        if st[1] == 1 || r == 1 {
            let ld = if c == 1 { r.max(1) } else { st[2] };
            if ld >= r.max(1) {
                return Some((layout.offset(), true, ld, batch_stride));
            }
        }
        None
    }
}

impl BackendStorage for CudaStorage {
    fn dtype(&self) -> DType {
        match self.data {
            CudaData::F32(_) => DType::F32,
            CudaData::I64(_) => DType::I64,
        }
    }

    fn device(&self) -> Device {
        self.device.location()
    }

    fn len(&self) -> usize {
        self.len
    }

    fn to_cpu(&self, layout: &Layout) -> Result<CpuStorage> {
        let stream = self.device.stream();
        if layout.numel() == 0 {
            return Ok(match self.data {
                CudaData::F32(_) => CpuStorage::F32(Vec::new()),
                CudaData::I64(_) => CpuStorage::I64(Vec::new()),
            });
        }
        // The copy waits for the stream: the one synchronisation point of a step.
        Ok(match (&self.data, layout.contiguous_range()) {
            (CudaData::F32(s), Some(range)) => {
                CpuStorage::F32(driver("copy to host", stream.clone_dtoh(&s.slice(range)))?)
            }
            (CudaData::I64(s), Some(range)) => {
                CpuStorage::I64(driver("copy to host", stream.clone_dtoh(&s.slice(range)))?)
            }
            _ => {
                let g = self.contiguous(layout)?;
                return g.to_cpu(&Layout::contiguous(layout.shape().to_vec()));
            }
        })
    }

    fn contiguous(&self, layout: &Layout) -> Result<Self> {
        Ok(match &self.data {
            CudaData::F32(_) => self.with(
                CudaData::F32(self.map_layout(layout, "elementwise", "gather_f32")?),
                layout.numel(),
            ),
            CudaData::I64(_) => self.with(
                CudaData::I64(self.map_layout(layout, "elementwise", "gather_i64")?),
                layout.numel(),
            ),
        })
    }

    fn to_dtype(&self, layout: &Layout, dtype: DType) -> Result<Self> {
        Ok(match (&self.data, dtype) {
            (CudaData::F32(_), DType::I64) => self.with(
                CudaData::I64(self.map_layout(layout, "elementwise", "f32_to_i64")?),
                layout.numel(),
            ),
            (CudaData::I64(_), DType::F32) => self.with(
                CudaData::F32(self.map_layout(layout, "elementwise", "i64_to_f32")?),
                layout.numel(),
            ),
            _ => self.contiguous(layout)?,
        })
    }

    fn unary(&self, layout: &Layout, op: UnaryOp) -> Result<Self> {
        let n = layout.numel();
        let (code, arg) = unary_code(op);
        let stream = self.device.stream();
        let integer = matches!(
            op,
            UnaryOp::Neg | UnaryOp::Abs | UnaryOp::Relu | UnaryOp::Sign
        );
        if let (CudaData::I64(x), true) = (&self.data, integer) {
            let mut out = alloc::<i64>(&self.device, n)?;
            if n > 0 {
                let f = self.device.function("elementwise", "unary_i64")?;
                let (st, n64) = (st_layout(layout)?, n as u64);
                let mut b = stream.launch_builder(&f);
                b.arg(&mut out).arg(x).arg(&st).arg(&n64).arg(&code);
                // SAFETY: unary_i64(out, x, layout, n, op); out holds n elements.
                driver("unary_i64", unsafe { b.launch(grid(n)) })?;
            }
            return Ok(self.with(CudaData::I64(out), n));
        }
        // float32 input read in place; an int64 one converted first.
        let (converted, x_layout);
        let x = match &self.data {
            CudaData::F32(x) => {
                x_layout = layout.clone();
                x
            }
            CudaData::I64(_) => {
                converted = self.f32_contiguous(layout)?;
                x_layout = Layout::contiguous(layout.shape().to_vec());
                &converted
            }
        };
        let mut out = alloc::<f32>(&self.device, n)?;
        if n > 0 {
            let f = self.device.function("elementwise", "unary_f32")?;
            let (st, n64) = (st_layout(&x_layout)?, n as u64);
            let mut b = stream.launch_builder(&f);
            b.arg(&mut out)
                .arg(x)
                .arg(&st)
                .arg(&n64)
                .arg(&code)
                .arg(&arg);
            // SAFETY: unary_f32(out, x, layout, n, op, arg); out holds n elements.
            driver("unary_f32", unsafe { b.launch(grid(n)) })?;
        }
        Ok(self.with(CudaData::F32(out), n))
    }

    fn binary(
        &self,
        layout: &Layout,
        rhs: &Self,
        rhs_layout: &Layout,
        op: BinaryOp,
    ) -> Result<Self> {
        self.check_same_device(rhs)?;
        let n = layout.numel();
        let code = binary_code(op);
        let stream = self.device.stream();
        if let (CudaData::I64(a), CudaData::I64(b), true) = (
            &self.data,
            &rhs.data,
            matches!(op, BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul),
        ) {
            let mut out = alloc::<i64>(&self.device, n)?;
            if n > 0 {
                let f = self.device.function("elementwise", "binary_i64")?;
                let (sa, sb, n64) = (st_layout(layout)?, st_layout(rhs_layout)?, n as u64);
                let mut l = stream.launch_builder(&f);
                l.arg(&mut out)
                    .arg(a)
                    .arg(&sa)
                    .arg(b)
                    .arg(&sb)
                    .arg(&n64)
                    .arg(&code);
                // SAFETY: binary_i64(out, a, la, b, lb, n, op); both layouts address n elements.
                driver("binary_i64", unsafe { l.launch(grid(n)) })?;
            }
            return Ok(self.with(CudaData::I64(out), n));
        }
        let contiguous = Layout::contiguous(layout.shape().to_vec());
        let (ca, cb);
        let (a, la) = match &self.data {
            CudaData::F32(a) => (a, layout.clone()),
            CudaData::I64(_) => {
                ca = self.f32_contiguous(layout)?;
                (&ca, contiguous.clone())
            }
        };
        let (b, lb) = match &rhs.data {
            CudaData::F32(b) => (b, rhs_layout.clone()),
            CudaData::I64(_) => {
                cb = rhs.f32_contiguous(rhs_layout)?;
                (&cb, contiguous)
            }
        };
        let mut out = alloc::<f32>(&self.device, n)?;
        if n > 0 {
            let f = self.device.function("elementwise", "binary_f32")?;
            let (sa, sb, n64) = (st_layout(&la)?, st_layout(&lb)?, n as u64);
            let mut l = stream.launch_builder(&f);
            l.arg(&mut out)
                .arg(a)
                .arg(&sa)
                .arg(b)
                .arg(&sb)
                .arg(&n64)
                .arg(&code);
            // SAFETY: binary_f32(out, a, la, b, lb, n, op); both layouts address n elements.
            driver("binary_f32", unsafe { l.launch(grid(n)) })?;
        }
        Ok(self.with(CudaData::F32(out), n))
    }

    fn sum_dims(&self, layout: &Layout, dims: &[usize]) -> Result<Self> {
        let mut shape = layout.shape().to_vec();
        let mut cur = self.contiguous(layout)?;
        let stream = self.device.stream();
        for &d in dims.iter().rev() {
            let (outer, size, inner) = split(&shape, d);
            let n = outer * inner;
            let (o64, s64, i64_) = (outer as u64, size as u64, inner as u64);
            macro_rules! sum_dim {
                ($x:expr, $ty:ty, $kernel:literal, $variant:ident) => {{
                    let mut out = alloc::<$ty>(&self.device, n)?;
                    if n > 0 {
                        let f = self.device.function("reduce_index", $kernel)?;
                        let mut b = stream.launch_builder(&f);
                        b.arg(&mut out).arg($x).arg(&o64).arg(&s64).arg(&i64_);
                        // SAFETY: sum_dim_*(out, x, outer, size, inner) over a contiguous x of
                        // outer*size*inner elements; out holds outer*inner.
                        driver($kernel, unsafe { b.launch(grid(n)) })?;
                    }
                    self.with(CudaData::$variant(out), n)
                }};
            }
            cur = match &cur.data {
                CudaData::F32(x) => sum_dim!(x, f32, "sum_dim_f32", F32),
                CudaData::I64(x) => sum_dim!(x, i64, "sum_dim_i64", I64),
            };
            shape[d] = 1;
        }
        Ok(cur)
    }

    fn matmul(
        &self,
        layout: &Layout,
        rhs: &Self,
        rhs_layout: &Layout,
        dims: MatmulDims,
    ) -> Result<Self> {
        self.check_same_device(rhs)?;
        let MatmulDims { batch, m, k, n } = dims;
        let mut out = alloc::<f32>(&self.device, batch * m * n)?;
        if batch * m * n == 0 {
            return Ok(self.with(CudaData::F32(out), 0));
        }
        if k == 0 {
            // An empty sum: zeros (already).
            return Ok(self.with(CudaData::F32(out), batch * m * n));
        }
        // float32 operands cuBLAS can read in place; anything else as a contiguous copy.
        let prepare = |s: &CudaStorage, l: &Layout| -> Result<(Option<CudaSlice<f32>>, Layout)> {
            match (&s.data, Self::gemm_view(l)) {
                (CudaData::F32(_), Some(_)) => Ok((None, l.clone())),
                _ => Ok((
                    Some(s.f32_contiguous(l)?),
                    Layout::contiguous(l.shape().to_vec()),
                )),
            }
        };
        let (a_copy, la) = prepare(self, layout)?;
        let (b_copy, lb) = prepare(rhs, rhs_layout)?;
        let a: &CudaSlice<f32> = match (&a_copy, &self.data) {
            (Some(c), _) => c,
            (None, CudaData::F32(s)) => s,
            (None, CudaData::I64(_)) => unreachable!("int64 operands are converted"),
        };
        let b: &CudaSlice<f32> = match (&b_copy, &rhs.data) {
            (Some(c), _) => c,
            (None, CudaData::F32(s)) => s,
            (None, CudaData::I64(_)) => unreachable!("int64 operands are converted"),
        };
        let (Some((a_off, a_t, a_ld, a_bs)), Some((b_off, b_t, b_ld, b_bs))) =
            (Self::gemm_view(&la), Self::gemm_view(&lb))
        else {
            bail!(
                internal,
                "matmul: a contiguous operand was not readable by cuBLAS"
            );
        };
        // Row-major C[m, n] = A[m, k] B[k, n] is column-major C^T[n, m] = B^T A^T: cuBLAS's first
        // operand is B (read as B^T, transposed again if B is column-major), its second A.
        use cudarc::cublas::sys::cublasOperation_t::{CUBLAS_OP_N, CUBLAS_OP_T};
        let int = |v: usize, what: &str| -> Result<i32> {
            i32::try_from(v).map_err(|_| {
                crate::Error::range(format!(
                    "matmul: {what} {v} is beyond cuBLAS's 32-bit sizes"
                ))
            })
        };
        let gemm = GemmConfig {
            transa: if b_t { CUBLAS_OP_T } else { CUBLAS_OP_N },
            transb: if a_t { CUBLAS_OP_T } else { CUBLAS_OP_N },
            m: int(n, "n")?,
            n: int(m, "m")?,
            k: int(k, "k")?,
            alpha: 1.0f32,
            lda: int(b_ld, "leading dimension")?,
            ldb: int(a_ld, "leading dimension")?,
            beta: 0.0f32,
            ldc: int(n, "n")?,
        };
        let blas = self.device.blas()?;
        let a_view = a.slice(a_off..);
        let b_view = b.slice(b_off..);
        let result = if batch == 1 {
            // SAFETY: the views hold the matrices the config describes (offsets, leading
            // dimensions and transposition derived from their layouts); out holds m*n.
            unsafe { blas.gemm(gemm, &b_view, &a_view, &mut out) }
        } else {
            let cfg = StridedBatchedConfig {
                gemm,
                batch_size: int(batch, "batch")?,
                stride_a: b_bs as i64,
                stride_b: a_bs as i64,
                stride_c: (m * n) as i64,
            };
            // SAFETY: as above, for `batch` matrices at the given strides (0: one matrix shared).
            unsafe { blas.gemm_strided_batched(cfg, &b_view, &a_view, &mut out) }
        };
        result.map_err(|e| crate::Error::device(format!("cuBLAS sgemm failed: {e:?}")))?;
        Ok(self.with(CudaData::F32(out), batch * m * n))
    }

    fn index_select(&self, layout: &Layout, dim: usize, index: &[usize]) -> Result<Self> {
        let src = self.contiguous(layout)?;
        let (outer, size, inner) = split(layout.shape(), dim);
        let picks = index.len();
        let n = outer * picks * inner;
        let stream = self.device.stream();
        let idx: Vec<u64> = index.iter().map(|&i| i as u64).collect();
        let d_idx = driver("index upload", stream.clone_htod(&idx))?;
        let (o64, s64, p64, i64_) = (outer as u64, size as u64, picks as u64, inner as u64);
        macro_rules! launch {
            ($x:expr, $ty:ty, $kernel:literal, $variant:ident) => {{
                let mut out = alloc::<$ty>(&self.device, n)?;
                if n > 0 {
                    let f = self.device.function("reduce_index", $kernel)?;
                    let mut b = stream.launch_builder(&f);
                    b.arg(&mut out)
                        .arg($x)
                        .arg(&d_idx)
                        .arg(&o64)
                        .arg(&s64)
                        .arg(&p64)
                        .arg(&i64_);
                    // SAFETY: index_select_*(out, x, index, outer, size, picks, inner); the
                    // indices were validated below `size`; out holds outer*picks*inner.
                    driver($kernel, unsafe { b.launch(grid(n)) })?;
                }
                self.with(CudaData::$variant(out), n)
            }};
        }
        Ok(match &src.data {
            CudaData::F32(x) => launch!(x, f32, "index_select_f32", F32),
            CudaData::I64(x) => launch!(x, i64, "index_select_i64", I64),
        })
    }

    fn index_add_(
        &mut self,
        layout: &Layout,
        dim: usize,
        index: &[usize],
        src: &Self,
        src_layout: &Layout,
    ) -> Result<()> {
        self.check_same_device(src)?;
        if !layout.is_contiguous() || layout.offset() != 0 {
            bail!(internal, "index_add_: the destination must be contiguous");
        }
        let src = src.to_dtype(src_layout, DType::F32)?;
        let (outer, size, inner) = split(layout.shape(), dim);
        let picks = index.len();
        let n = outer * picks * inner;
        if n == 0 {
            return Ok(());
        }
        let stream = self.device.stream().clone();
        let idx: Vec<u64> = index.iter().map(|&i| i as u64).collect();
        let d_idx = driver("index upload", stream.clone_htod(&idx))?;
        let (CudaData::F32(dst), CudaData::F32(s)) = (&mut self.data, &src.data) else {
            bail!(type, "index_add_ on the GPU accumulates float32 only");
        };
        let f = self.device.function("reduce_index", "index_add_f32")?;
        let (o64, s64, p64, i64_) = (outer as u64, size as u64, picks as u64, inner as u64);
        let mut b = stream.launch_builder(&f);
        b.arg(dst)
            .arg(s)
            .arg(&d_idx)
            .arg(&o64)
            .arg(&s64)
            .arg(&p64)
            .arg(&i64_);
        // SAFETY: index_add_f32(dst, src, index, outer, size, picks, inner) with a contiguous
        // destination of outer*size*inner and a source of outer*picks*inner elements.
        driver("index_add_f32", unsafe { b.launch(grid(n)) })?;
        Ok(())
    }

    fn copy_into(&mut self, layout: &Layout, src: &Self, src_layout: &Layout) -> Result<()> {
        self.check_same_device(src)?;
        let src = src.to_dtype(src_layout, self.dtype())?;
        let n = layout.numel();
        if n == 0 {
            return Ok(());
        }
        let stream = self.device.stream().clone();
        let (st, n64) = (st_layout(layout)?, n as u64);
        match (&mut self.data, &src.data) {
            (CudaData::F32(dst), CudaData::F32(s)) => {
                let f = self.device.function("elementwise", "scatter_f32")?;
                let accumulate = 0i32;
                let mut b = stream.launch_builder(&f);
                b.arg(dst).arg(&st).arg(s).arg(&n64).arg(&accumulate);
                // SAFETY: scatter_f32(dst, layout, src, n, 0); src holds n elements.
                driver("scatter_f32", unsafe { b.launch(grid(n)) })?;
            }
            (CudaData::I64(dst), CudaData::I64(s)) => {
                let f = self.device.function("elementwise", "scatter_i64")?;
                let mut b = stream.launch_builder(&f);
                b.arg(dst).arg(&st).arg(s).arg(&n64);
                // SAFETY: scatter_i64(dst, layout, src, n); src holds n elements.
                driver("scatter_i64", unsafe { b.launch(grid(n)) })?;
            }
            _ => bail!(
                internal,
                "copy_into: the source was converted to the destination's dtype"
            ),
        }
        Ok(())
    }

    fn add_assign(&mut self, layout: &Layout, src: &Self, src_layout: &Layout) -> Result<()> {
        self.check_same_device(src)?;
        let src = src.to_dtype(src_layout, DType::F32)?;
        let n = layout.numel();
        if n == 0 {
            return Ok(());
        }
        let stream = self.device.stream().clone();
        let (CudaData::F32(dst), CudaData::F32(s)) = (&mut self.data, &src.data) else {
            bail!(type, "add_assign on the GPU accumulates float32 only");
        };
        let f = self.device.function("elementwise", "scatter_f32")?;
        let (st, n64, accumulate) = (st_layout(layout)?, n as u64, 1i32);
        let mut b = stream.launch_builder(&f);
        b.arg(dst).arg(&st).arg(s).arg(&n64).arg(&accumulate);
        // SAFETY: scatter_f32(dst, layout, src, n, 1); src holds n elements.
        driver("scatter_f32", unsafe { b.launch(grid(n)) })?;
        Ok(())
    }
}

impl BackendDevice for CudaDevice {
    type Storage = CudaStorage;

    fn location(&self) -> Device {
        CudaDevice::location(self)
    }

    fn full(&self, shape: &[usize], value: f64, dtype: DType) -> Result<CudaStorage> {
        let n: usize = shape.iter().product();
        let stream = self.stream();
        let n64 = n as u64;
        let data = match dtype {
            DType::F32 => {
                let mut out = alloc::<f32>(self, n)?;
                if n > 0 && value != 0.0 {
                    let f = self.function("elementwise", "fill_f32")?;
                    let v = value as f32;
                    let mut b = stream.launch_builder(&f);
                    b.arg(&mut out).arg(&v).arg(&n64);
                    // SAFETY: fill_f32(out, value, n); out holds n elements.
                    driver("fill_f32", unsafe { b.launch(grid(n)) })?;
                }
                CudaData::F32(out)
            }
            DType::I64 => {
                let mut out = alloc::<i64>(self, n)?;
                if n > 0 && value != 0.0 {
                    let f = self.function("elementwise", "fill_i64")?;
                    let v = value as i64;
                    let mut b = stream.launch_builder(&f);
                    b.arg(&mut out).arg(&v).arg(&n64);
                    // SAFETY: fill_i64(out, value, n); out holds n elements.
                    driver("fill_i64", unsafe { b.launch(grid(n)) })?;
                }
                CudaData::I64(out)
            }
        };
        Ok(CudaStorage::new(data, n, self.clone()))
    }

    fn upload(&self, data: &CpuStorage) -> Result<CudaStorage> {
        let stream = self.stream();
        let len = data.len();
        let data = match data {
            CpuStorage::F32(v) if v.is_empty() => CudaData::F32(alloc(self, 0)?),
            CpuStorage::I64(v) if v.is_empty() => CudaData::I64(alloc(self, 0)?),
            CpuStorage::F32(v) => CudaData::F32(driver("copy to the GPU", stream.clone_htod(v))?),
            CpuStorage::I64(v) => CudaData::I64(driver("copy to the GPU", stream.clone_htod(v))?),
        };
        Ok(CudaStorage::new(data, len, self.clone()))
    }

    fn rand_uniform(&self, shape: &[usize], low: f32, high: f32) -> Result<CudaStorage> {
        self.upload(&CpuDevice.rand_uniform(shape, low, high)?)
    }

    fn rand_normal(&self, shape: &[usize], mean: f32, std: f32) -> Result<CudaStorage> {
        self.upload(&CpuDevice.rand_normal(shape, mean, std)?)
    }
}
