//! bf16 products on Intel AMX tiles (Sapphire Rapids and later), for `gemm_bf16`: where the
//! processor has AMX-BF16 and Linux lets this process use it, the products under
//! `setFloat32MatmulPrecision('medium')` run on `tdpbf16ps`, which multiplies a 16 x 32 bf16
//! tile of A by a 32 x 16 tile of B into 16 x 16 float32 sums: 8192 multiply-adds an instruction,
//! where one AVX-512 `vdpbf16ps` does 32.
//!
//! A is the one `gemm_bf16` already packs (pairs along k, row-major); B is `PackedB`'s row pairs
//! (pair-row q holds B[2q, j] and B[2q + 1, j] in one 32-bit lane, AMX's layout for B) copied
//! once more in panels of 16 columns, so that each tile of B is 1 KB in a row: read from the
//! row pairs, a tile's 16 rows lie a whole row of B apart (8 KB at m-lstm512's 2048 columns),
//! all in one L1 set, and came from L2 at every load (bench/NOTES.md). The register tile is
//! 32 x 32 of C (four accumulator tiles, two of A and two of B); what is not a whole tile (rows
//! or columns past a multiple of 32, pairs past a multiple of 16) is left to the AVX512-BF16
//! kernel. No stable Rust intrinsics exist for AMX:
//! the instructions are written as inline assembly, which needs no target feature.
//!
//! `SEQTORCH_AMX=0` turns the tiles off (the AVX512-BF16 kernel runs instead), for measuring.

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
use std::arch::asm;
use std::sync::OnceLock;

/// Whether the bf16 products may run on AMX tiles here: the processor has AMX-TILE and
/// AMX-BF16, the OS saves tile state (XCR0), this process was granted it (Linux's
/// `ARCH_REQ_XCOMP_PERM`, refused for example where a signal stack too small for tile state
/// exists), and `SEQTORCH_AMX` is not `0`. Asked once.
pub fn available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| std::env::var("SEQTORCH_AMX").as_deref() != Ok("0") && detect())
}

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
fn detect() -> bool {
    use std::arch::x86_64::{__cpuid, __cpuid_count};
    let (basic, leaf7) = (__cpuid(0), __cpuid_count(7, 0));
    let amx_bf16 = leaf7.edx & (1 << 22) != 0;
    let amx_tile = leaf7.edx & (1 << 24) != 0;
    if basic.eax < 7 || !amx_bf16 || !amx_tile || !os_saves_tile_state() {
        return false;
    }
    const ARCH_REQ_XCOMP_PERM: libc::c_long = 0x1023;
    const XFEATURE_XTILEDATA: libc::c_long = 18;
    // SAFETY: arch_prctl with these arguments only asks the kernel for a permission.
    let granted = unsafe {
        libc::syscall(
            libc::SYS_arch_prctl,
            ARCH_REQ_XCOMP_PERM,
            XFEATURE_XTILEDATA,
        )
    };
    granted == 0
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
fn detect() -> bool {
    false
}

/// XCR0's tile configuration and tile data bits (17, 18), read where OSXSAVE says XGETBV works.
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
fn os_saves_tile_state() -> bool {
    let leaf1 = std::arch::x86_64::__cpuid(1);
    if leaf1.ecx & (1 << 27) == 0 {
        return false;
    }
    let (lo, _hi): (u32, u32);
    // SAFETY: XGETBV with ECX = 0 is valid where OSXSAVE is set (checked above).
    unsafe {
        asm!("xgetbv", in("ecx") 0u32, out("eax") lo, out("edx") _hi, options(nomem, nostack));
    }
    lo & (0b11 << 17) == 0b11 << 17
}

/// The tile shapes every call uses: tiles 0-3 the 16 x 16 float32 sums, 4-5 two 16-row slices of
/// A (16 pairs each), 6-7 two 16-column slices of B (16 pair-rows each): 16 rows of 64 bytes.
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
#[repr(C, align(64))]
struct TileConfig {
    palette: u8,
    start_row: u8,
    reserved: [u8; 14],
    bytes_per_row: [u16; 16],
    rows: [u8; 16],
}

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
const CONFIG: TileConfig = TileConfig {
    palette: 1,
    start_row: 0,
    reserved: [0; 14],
    bytes_per_row: [64, 64, 64, 64, 64, 64, 64, 64, 0, 0, 0, 0, 0, 0, 0, 0],
    rows: [16, 16, 16, 16, 16, 16, 16, 16, 0, 0, 0, 0, 0, 0, 0, 0],
};

/// Rows and columns of C per register tile, and pairs of depth per step.
pub const TILE: usize = 32;
pub const PAIRS_PER_STEP: usize = 16;

/// Columns of C per band of `gemm_tiles` (8 register tiles). On the Xeon, 2 threads: m-lstm512's
/// input projection (6400 x 512 x 2048) 800-900 -> 1120-1600 GFLOP/s, bands of 128 or 512 not
/// better; products of 1024 columns or fewer level.
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
const COLUMN_BAND: usize = 256;

/// `C[..rows, ..cols] = A B + beta C` on tiles, for `rows` and `cols` multiples of 32 and `pairs`
/// a multiple of 16: A is `rows` x `pairs` pairs, row i at `a[i * lda..]`; B is in panels of 16
/// columns (`PackedB`'s tile panels), panel c (columns from 16c) at `b[c * panel..]`, its pair q
/// the 16 values from `q * 16` on; C row-major with rows `n` apart. Beta is 0 or 1 (the caller
/// scales C first otherwise).
///
/// # Safety
/// `available()` must be true, and A, B and C must cover what the shapes say.
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
#[allow(clippy::too_many_arguments)]
pub unsafe fn gemm_tiles(
    rows: usize,
    cols: usize,
    pairs: usize,
    a: *const u32,
    lda: usize,
    b: *const u32,
    panel: usize,
    n: usize,
    c: *mut f32,
    accumulate: bool,
) {
    debug_assert!(
        rows.is_multiple_of(TILE)
            && cols.is_multiple_of(TILE)
            && pairs.is_multiple_of(PAIRS_PER_STEP)
    );
    // A tile of B is 16 pairs of one panel: rows of 64 bytes, in a row.
    let (sa, sb, sc) = (lda * 4, 64usize, n * 4);
    // The tile configuration is per thread and any other user of this thread's tiles may have
    // changed it: loaded at every call, released at the end (a thread with tiles in use makes
    // every context switch save 8 KB more).
    asm!("ldtilecfg [{}]", in(reg) &CONFIG as *const TileConfig, options(nostack, readonly));
    // C in bands of COLUMN_BAND columns, each band row tile by row tile: a tile of A is reused
    // across the band's columns from L1, the band of B (256 KB at 256 pairs deep) stays in L2,
    // and C is written 1 KB of a row at a time. Column by column down all rows instead, the C
    // rows of m-lstm512's input projection (8 KB apart) took half its time (bench/NOTES.md).
    let tiles = (0..cols).step_by(COLUMN_BAND).flat_map(|j0| {
        let band = j0..(j0 + COLUMN_BAND).min(cols);
        (0..rows)
            .step_by(TILE)
            .flat_map(move |i| band.clone().step_by(TILE).map(move |j| (i, j)))
    });
    for (i, j) in tiles {
        let c0 = c.add(i * n + j);
        let c1 = c0.add(16 * n);
        if accumulate {
            asm!(
                "tileloadd tmm0, [{c0} + {sc}*1]",
                "tileloadd tmm1, [{c0} + {sc}*1 + 64]",
                "tileloadd tmm2, [{c1} + {sc}*1]",
                "tileloadd tmm3, [{c1} + {sc}*1 + 64]",
                c0 = in(reg) c0,
                c1 = in(reg) c1,
                sc = in(reg) sc,
                options(nostack, readonly),
            );
        } else {
            asm!(
                "tilezero tmm0",
                "tilezero tmm1",
                "tilezero tmm2",
                "tilezero tmm3",
                options(nomem, nostack)
            );
        }
        let a0 = a.add(i * lda);
        let a1 = a0.add(16 * lda);
        let b0 = b.add(j / 16 * panel);
        let b1 = b0.add(panel);
        for q in (0..pairs).step_by(PAIRS_PER_STEP) {
            asm!(
                "tileloadd tmm4, [{a0} + {sa}*1]",
                "tileloadd tmm6, [{b0} + {sb}*1]",
                "tileloadd tmm7, [{b1} + {sb}*1]",
                "tdpbf16ps tmm0, tmm4, tmm6",
                "tileloadd tmm5, [{a1} + {sa}*1]",
                "tdpbf16ps tmm1, tmm4, tmm7",
                "tdpbf16ps tmm2, tmm5, tmm6",
                "tdpbf16ps tmm3, tmm5, tmm7",
                a0 = in(reg) a0.add(q),
                a1 = in(reg) a1.add(q),
                b0 = in(reg) b0.add(q * 16),
                b1 = in(reg) b1.add(q * 16),
                sa = in(reg) sa,
                sb = in(reg) sb,
                options(nostack, readonly),
            );
        }
        asm!(
            "tilestored [{c0} + {sc}*1], tmm0",
            "tilestored [{c0} + {sc}*1 + 64], tmm1",
            "tilestored [{c1} + {sc}*1], tmm2",
            "tilestored [{c1} + {sc}*1 + 64], tmm3",
            c0 = in(reg) c0,
            c1 = in(reg) c1,
            sc = in(reg) sc,
            options(nostack),
        );
    }
    asm!("tilerelease", options(nomem, nostack));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tiles alone against a float64 product of the same bf16 operands, starting from zero
    /// and adding to C. Where AMX is not usable this says so and checks nothing else (the
    /// products then run on the AVX512-BF16 kernel, which `gemm_bf16`'s tests cover).
    #[test]
    fn tiles_match_the_reference() {
        if !available() {
            eprintln!("AMX tiles not usable here (no AMX-BF16, no OS support or SEQTORCH_AMX=0)");
            return;
        }
        #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
        {
            use crate::kernels::gemm_bf16::{from_bf16, to_bf16};
            // Within one band of columns, and over two (the second a part band).
            for (rows, cols, pairs, n, lda) in
                [(64, 64, 48, 80, 50), (96, COLUMN_BAND + 32, 32, 300, 40)]
            {
                let half = |i: usize| to_bf16(((i * 7 % 23) as f32 - 11.0) * 0.37) as u32;
                let a: Vec<u32> = (0..rows * lda)
                    .map(|i| half(i) | half(i + 5) << 16)
                    .collect();
                let b: Vec<u32> = (0..pairs * n)
                    .map(|i| half(i + 3) | half(i + 9) << 16)
                    .collect();
                // B's columns in panels of 16, as `PackedB` lays them out for the tiles.
                let panels: Vec<u32> = (0..cols / 16)
                    .flat_map(|c| {
                        (0..pairs).flat_map(move |q| (0..16).map(move |j| (q, c * 16 + j)))
                    })
                    .map(|(q, j)| b[q * n + j])
                    .collect();
                let f = |v: u32, high: bool| {
                    f64::from(from_bf16(if high { (v >> 16) as u16 } else { v as u16 }))
                };
                for accumulate in [false, true] {
                    let c0: Vec<f32> = (0..rows * n).map(|i| (i % 17) as f32 - 8.0).collect();
                    let mut c = c0.clone();
                    // SAFETY: available() (checked above); the buffers cover the shapes.
                    unsafe {
                        gemm_tiles(
                            rows,
                            cols,
                            pairs,
                            a.as_ptr(),
                            lda,
                            panels.as_ptr(),
                            pairs * 16,
                            n,
                            c.as_mut_ptr(),
                            accumulate,
                        )
                    };
                    for i in 0..rows {
                        for j in 0..n {
                            let got = f64::from(c[i * n + j]);
                            if j >= cols {
                                assert_eq!(
                                    got,
                                    f64::from(c0[i * n + j]),
                                    "({i}, {j}) outside the tiles"
                                );
                                continue;
                            }
                            let mut want = if accumulate {
                                f64::from(c0[i * n + j])
                            } else {
                                0.0
                            };
                            for q in 0..pairs {
                                let (x, y) = (a[i * lda + q], b[q * n + j]);
                                want += f(x, false) * f(y, false) + f(x, true) * f(y, true);
                            }
                            assert!(
                                (got - want).abs() <= 1e-5 * (1.0 + want.abs()),
                                "accumulate {accumulate} at ({i}, {j}): {got} vs {want}"
                            );
                        }
                    }
                }
            }
        }
    }
}
