//! The float32 product kernels' parameters, chosen per processor family at run time.
//!
//! Which instructions a processor has (AVX-512, AVX2) picks the code; the family picks its
//! shape. Zen 4 runs AVX-512 on 256-bit datapaths with a 32 KB L1 and 1 MB L2 per core;
//! Sapphire Rapids-class Xeons have two 512-bit FMA ports, a 48 KB L1 and 2 MB L2: twice the
//! arithmetic per cycle to feed from the same two loads, so a register tile that reuses each
//! loaded row of B for more rows of A, and larger cache blocks. Processors of no known family
//! take the Zen 4 plan, the one measured most (bench/NOTES.md, "Per processor family").
//!
//! `SEQTORCH_KERNEL_PLAN=<family>` (a `CpuClass` name) picks another family's plan, so that
//! both plans can be timed on one machine; `set_plan` does the same from code.

use std::sync::RwLock;

use crate::cpu_info::{self, CpuClass};

/// Rows of the AVX-512 register tile (of two 16-lane vectors of columns). The AVX2 kernel
/// always uses 6 rows: its 16 registers allow no other shape with two vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TileRows {
    /// 8 rows x 2 vectors: 16 accumulators, 10 loads per 16 FMAs.
    Eight,
    /// 12 rows x 2 vectors: 24 accumulators, 14 loads per 24 FMAs; each row segment of B
    /// loaded serves half as many more FMAs, for cores that retire two 512-bit FMAs a cycle.
    Twelve,
}

impl TileRows {
    pub fn rows(self) -> usize {
        match self {
            TileRows::Eight => 8,
            TileRows::Twelve => 12,
        }
    }
}

/// How the products that read A transposed (a weight gradient's dG^T, whose steps of depth
/// are a whole row of dG, 2-8 KB, apart) read it. Each step touches a new line, often a new
/// page, where the hardware prefetchers do not follow, and at these strides a tile's steps
/// share a few L1 sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransposedA {
    /// In place, each tile fetching A's lines ahead (`gemm_ab.rs`, `A_AHEAD`). On Zen 4 the
    /// weight gradients of a training step went 4.4 -> 4.3 ms at small-lstm128 and 144 -> 137
    /// ms at m-lstm512 against `InPlace`; on Zen 3 the same fetches slowed 2048 x 6400 x 512 on
    /// one thread from 60-67 to 45-48 GFLOP/s (and the seed models' products by up to 15%).
    Fetched,
    /// In place, left to the hardware.
    InPlace,
    /// Large products copy each block of A into panels of tile rows first (`APanels`), so that
    /// a tile reads its rows of A as one stream; smaller ones read in place. On Zen 3, 2
    /// threads, alternating with `PackedGemm` in one process: ahead in 11 of 14 comparisons of
    /// the suite's weight gradients (m-lstm512's 135-139 -> 142-161 GFLOP/s, mid-lstm256's first
    /// layer's W_ih 78-90 -> 97-111), level on one thread; in place without fetches 60-65 a
    /// thread against 74-79 in panels. Packing a row-major A (the input projections) gained
    /// nothing there.
    Panels,
    /// Large products go to the `gemm` crate's packed GEMM (on Zen 3 70-78 GFLOP/s a thread
    /// where the broadcast kernel reached 40-58 in place; bench/NOTES.md, "AVX2 processors").
    PackedGemm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KernelPlan {
    /// The family the plan was made for.
    pub family: CpuClass,
    pub tile_rows: TileRows,
    /// Rows of C per cache block of a large product (a multiple of every tile height).
    pub block_rows: usize,
    /// Depth of A and B per pass over a block of C.
    pub block_depth: usize,
    /// Multiply-adds from which a product is split between threads.
    pub parallel_min_work: usize,
    /// Rows of A (row-major) from which a large product packs a row-major B in panels. Zen 4,
    /// 2 threads, panels against row-major B: 6400 x 2048 x 512 (m-lstm512's input gradient)
    /// 215 -> 225 GFLOP/s; with fewer rows the copy of B weighs more. On Zen 3 (AVX2) panels
    /// paid at every size: 1024^3 on one thread 45-51 -> 76-82 GFLOP/s, 256 x 1024 x 1024
    /// 45-51 -> 52-70.
    pub panels_min_rows: usize,
    /// The same for A read transposed (weight gradients). On Zen 4, before their tiles fetched A
    /// ahead the panels paid from 2048 rows (m-lstm512's weight gradient 182 -> 197 GFLOP/s; at
    /// 512 and 1024 rows 219 -> 193 and 196 -> 180); since then from 1024 (the weight gradients
    /// of a training step on 2 threads: m-gru512 109-114 -> 99-100 ms, mid-lstm256x2's two
    /// layers 34.6-36.2 -> 32.9-34.4 and 22.3-23.3 -> 21.1-21.9 ms), at 512 rows still not
    /// (small-lstm128 4.1 -> 4.2 ms).
    pub transposed_a_panels_min_rows: usize,
    /// Rows of A, either layout, from which a large product packs B in panels when B is wide
    /// (`WIDE_B_COLS` columns or more: its rows 4 KB or more apart, so a tile's walk down one
    /// column of panels maps to a few L1 sets and reads B from L2 at every row tile). On the
    /// Sapphire Rapids-class Xeon, 2 threads (`examples/b_panel_threshold`): 1024 x 512 x 2048
    /// 172 -> 287 GFLOP/s, 1024^3 242-265 -> 264-281, a transposed A at 512 x 2048 x 2048 159 ->
    /// 237; 512 rows 1-2% faster on two threads (17% on one), 384 rows 4-10% slower on two. A
    /// B of 128-512 columns lost 2-7% at 512-1024 rows (the copy, no thrash to undo).
    /// `usize::MAX` where unmeasured.
    pub wide_b_panels_min_rows: usize,
    /// Columns of C (rounded down to whole panels) a row tile of the AVX-512 and AVX2 products
    /// crosses before the next row tile starts, in products of more than four row tiles (the
    /// large products' blocks); 0 walks each panel down all its row tiles before the next
    /// panel, whatever the panels' width (32 columns with AVX-512, 16 with AVX2). On the Sapphire Rapids-class Xeon, 2 threads, bands of 256 columns:
    /// m-lstm512's input projection 277-290 -> 306-315 GFLOP/s, 6400 x 64 x 2048 257 -> 297,
    /// 2048 x 512 x 2048 283 -> 315, its input gradient (6400 x 2048 x 512) 291 -> 307,
    /// 6400 x 512 x 1024-1536 3-5%; a B of 256 x 256 floats (256 KB) stays in L2 across a band.
    pub column_band: usize,
    /// Whether the recurrent step products read W_hh packed in panels (`PanelB`, prepared once
    /// per weight version) instead of row-major. Rows of a row-major W_hh^T lie a whole row
    /// apart and share a few L1 sets, so every register tile reads its column panel from L2
    /// again: Zen 4's 16-column AVX-512 tiles hide that (96-99% of a thread's peak), Zen 3's
    /// 6 x 16 AVX2 tiles did not (45-60%; 80-95% from panels, bench/NOTES.md).
    pub step_panels: bool,
    /// How products that read A transposed (the weight gradients, dG^T x) read it.
    pub transposed_a: TransposedA,
    /// Weight bytes from which recurrent inference (a streaming step, or the forward of fewer
    /// than 16 sequences) is split by hidden units between threads (`rnn::stream_split`), each
    /// keeping its share of the weights in its own L2. On the Sapphire Rapids-class Xeon one core streams weights from
    /// L3 at 30-35 GB/s, from L2 at about 70; split there, a 393 KB LSTM step lost 20-35% to
    /// the hand-off, 1 MB ones were level and 1.2 MB gained 8%. `usize::MAX` (never) where
    /// unmeasured.
    pub stream_split_min_bytes: usize,
    /// Multiply-adds (rows x weights) from which one step of several rows (streams batched
    /// together) is split the same way whatever its weights' size: the products then have
    /// enough work for two cores. On the Xeon a 172 KB GRU gained from 32 rows (34 -> 27 µs)
    /// and was level at 16, a 405 KB one gained from 16 rows, a 786 KB one from 4 (1 Mi
    /// multiply-adds: 24, 10 and 5 rows). `usize::MAX` (never) where unmeasured.
    pub stream_split_min_work: usize,
}

/// Columns from which B counts as wide for `KernelPlan::wide_b_panels_min_rows`.
pub const WIDE_B_COLS: usize = 1024;

impl KernelPlan {
    /// Rows of A from which a large product against a row-major B of `n` columns packs B in
    /// panels, for A stored transposed or not.
    pub fn b_panels_min_rows(&self, a_transposed: bool, n: usize) -> usize {
        let by_layout = if a_transposed {
            self.transposed_a_panels_min_rows
        } else {
            self.panels_min_rows
        };
        if n >= WIDE_B_COLS {
            by_layout.min(self.wide_b_panels_min_rows)
        } else {
            by_layout
        }
    }

    /// The plan for a family, each measured on this project's machines of that family
    /// (`examples/kernel_plans.rs`; Intel without AMX takes the AMX plan unmeasured).
    pub fn for_family(family: CpuClass) -> KernelPlan {
        let zen4 = KernelPlan {
            family,
            tile_rows: TileRows::Eight,
            block_rows: 128,
            block_depth: 256,
            parallel_min_work: 1 << 23,
            panels_min_rows: 2048,
            transposed_a_panels_min_rows: 1024,
            wide_b_panels_min_rows: usize::MAX,
            column_band: 0,
            step_panels: false,
            transposed_a: TransposedA::Fetched,
            stream_split_min_bytes: usize::MAX,
            stream_split_min_work: usize::MAX,
        };
        match family {
            // Measured on a 2-core Sapphire Rapids-class Xeon (2 MB L2, 48 KB L1 per core;
            // bench/NOTES.md, "Intel Xeon with AMX"): 12-row tiles 3-7% ahead of 8-row ones on
            // the step products; W_hh read in panels (row-major, 8 KB apart at m-lstm512, its
            // rows thrash a few L1 sets: 69-85 -> 137-154 GFLOP/s a thread); dG^T in panels
            // (m-lstm512's weight gradient 173-178 -> 260-265 GFLOP/s on 2 threads).
            CpuClass::IntelAmx | CpuClass::IntelAvx512 => KernelPlan {
                tile_rows: TileRows::Twelve,
                block_rows: 192,
                block_depth: 256,
                wide_b_panels_min_rows: 512,
                column_band: 256,
                step_panels: true,
                transposed_a: TransposedA::Panels,
                stream_split_min_bytes: 1 << 20,
                stream_split_min_work: 1 << 20,
                ..zen4
            },
            // Zen 1-3 and client Intel: the AVX2 kernel's 6-row tiles (tile_rows does not
            // apply), measured on Zen 3.
            CpuClass::X86Avx2 => KernelPlan {
                panels_min_rows: 0,
                step_panels: true,
                transposed_a: TransposedA::Panels,
                ..zen4
            },
            _ => zen4,
        }
    }

    /// One line for benchmark records, e.g. `zen4: tile 8x32, blocks 128x256, threads from
    /// 2^23`: the tile that runs on this processor (6x16 without AVX-512), the blocks (`in
    /// bands of 256` where large products walk C in bands), then `, W_hh in panels` when the
    /// step products read panels, and how large products read a transposed A unless fetched
    /// ahead in place: `, A^T in place`, `, A^T in panels`, `, A^T packed`.
    pub fn summary(&self) -> String {
        format!(
            "{}: tile {}, blocks {}x{}{}, threads from 2^{}{}{}",
            self.family.name(),
            tile_shape(self.tile_rows),
            self.block_rows,
            self.block_depth,
            if self.column_band > 0 {
                format!(" in bands of {}", self.column_band)
            } else {
                String::new()
            },
            self.parallel_min_work.trailing_zeros(),
            if self.step_panels {
                ", W_hh in panels"
            } else {
                ""
            },
            match self.transposed_a {
                TransposedA::Fetched => "",
                TransposedA::InPlace => ", A^T in place",
                TransposedA::Panels => ", A^T in panels",
                TransposedA::PackedGemm => ", A^T packed",
            }
        )
    }
}

/// The register tile that runs here: the plan's AVX-512 tile, or AVX2's fixed 6 x 16 (tiles
/// are as wide as the panels packed for them).
fn tile_shape(rows: TileRows) -> String {
    match crate::kernels::panel_b::panel_width() {
        16 => "6x16".to_string(),
        width => format!("{}x{width}", rows.rows()),
    }
}

static PLAN: RwLock<Option<KernelPlan>> = RwLock::new(None);

/// The plan in use: this processor's family's, unless overridden.
pub fn plan() -> KernelPlan {
    if let Some(p) = *PLAN.read().unwrap_or_else(|e| e.into_inner()) {
        return p;
    }
    let mut slot = PLAN.write().unwrap_or_else(|e| e.into_inner());
    *slot.get_or_insert_with(|| {
        let family = std::env::var("SEQTORCH_KERNEL_PLAN")
            .ok()
            .and_then(|name| CpuClass::from_name(&name))
            .unwrap_or_else(|| cpu_info::describe().class);
        KernelPlan::for_family(family)
    })
}

/// Uses `plan` from now on (for timing one plan against another; every plan computes the
/// same products).
pub fn set_plan(plan: KernelPlan) {
    *PLAN.write().unwrap_or_else(|e| e.into_inner()) = Some(plan);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn family_names_choose_their_plan() {
        for family in CpuClass::ALL {
            assert_eq!(CpuClass::from_name(family.name()), Some(family));
        }
        assert_eq!(CpuClass::from_name("pentium"), None);
    }

    #[test]
    fn every_family_has_a_plan_whose_blocks_hold_whole_tiles() {
        for family in CpuClass::ALL {
            let p = KernelPlan::for_family(family);
            assert_eq!(p.family, family);
            assert_eq!(p.block_rows % p.tile_rows.rows(), 0, "{family:?}");
            assert!(p.parallel_min_work.is_power_of_two());
            assert!(p.summary().starts_with(family.name()));
        }
    }

    #[test]
    fn a_wide_b_lowers_the_panel_threshold_only_where_the_plan_says() {
        let intel = KernelPlan::for_family(CpuClass::IntelAmx);
        for transposed in [false, true] {
            let by_layout = intel.b_panels_min_rows(transposed, WIDE_B_COLS - 1);
            assert!(by_layout > intel.wide_b_panels_min_rows);
            assert_eq!(
                intel.b_panels_min_rows(transposed, WIDE_B_COLS),
                intel.wide_b_panels_min_rows
            );
        }
        assert_eq!(intel.b_panels_min_rows(false, 512), intel.panels_min_rows);
        assert_eq!(
            intel.b_panels_min_rows(true, 512),
            intel.transposed_a_panels_min_rows
        );
        // Unmeasured families keep their thresholds at every width.
        let zen4 = KernelPlan::for_family(CpuClass::Zen4);
        for n in [128, WIDE_B_COLS, 8192] {
            assert_eq!(zen4.b_panels_min_rows(false, n), zen4.panels_min_rows);
            assert_eq!(
                zen4.b_panels_min_rows(true, n),
                zen4.transposed_a_panels_min_rows
            );
        }
    }
}
