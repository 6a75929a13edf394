//! How a large product's rows of C are shared between threads.
//!
//! Blocks of at most about `max_rows` rows, in whole register tiles, as a multiple of the
//! thread count of blocks whose sizes differ by at most one tile. Rounding one common block
//! size up to whole tiles instead left 3200 rows (small-lstm128's input projection: 26 blocks
//! of 124 rows wanted, 25 of 128 made) as 13 blocks for one thread and 12 for the other.

use std::ops::Range;

/// Contiguous row ranges covering `0..m`: `threads` times as many blocks as needed for each to
/// hold at most `max_rows` rows (fewer where there are fewer tiles than that), each a whole
/// number of `tile` rows except where `m` ends.
pub fn balanced_row_blocks(
    m: usize,
    tile: usize,
    max_rows: usize,
    threads: usize,
) -> Vec<Range<usize>> {
    let (tile, threads) = (tile.max(1), threads.max(1));
    let tiles = m.div_ceil(tile);
    if tiles == 0 {
        return Vec::new();
    }
    let tiles_per_block = (max_rows / tile).max(1);
    let blocks = (threads * tiles.div_ceil(threads * tiles_per_block)).min(tiles);
    (0..blocks)
        .map(|i| {
            let start = (i * tiles / blocks * tile).min(m);
            let end = ((i + 1) * tiles / blocks * tile).min(m);
            start..end
        })
        .collect()
}

/// `c` (rows of `n` values) cut at `blocks`, each piece with its first row.
pub fn split_rows_mut<'a, T>(
    c: &'a mut [T],
    n: usize,
    blocks: &[Range<usize>],
) -> Vec<(usize, &'a mut [T])> {
    let mut rest = c;
    let mut pieces = Vec::with_capacity(blocks.len());
    for block in blocks {
        let (piece, tail) = std::mem::take(&mut rest).split_at_mut(block.len() * n);
        pieces.push((block.start, piece));
        rest = tail;
    }
    pieces
}

/// `f(first row, its rows of c)` for every block of `balanced_row_blocks(m, tile, max_rows,
/// threads)` of `c` (m rows of `n` values), on the pool's threads when `parallel`, else in
/// order on this one.
pub fn for_row_blocks<T: Send>(
    c: &mut [T],
    m: usize,
    n: usize,
    tile: usize,
    max_rows: usize,
    parallel: bool,
    f: impl Fn(usize, &mut [T]) + Sync + Send,
) {
    use rayon::prelude::*;
    let threads = if parallel {
        crate::threads::get_num_threads()
    } else {
        1
    };
    let blocks = balanced_row_blocks(m, tile, max_rows, threads);
    let pieces = split_rows_mut(&mut c[..m * n], n, &blocks);
    if parallel {
        crate::threads::install(|| pieces.into_par_iter().for_each(|(r0, c)| f(r0, c)));
    } else {
        for (r0, c) in pieces {
            f(r0, c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(m: usize, tile: usize, max_rows: usize, threads: usize) -> Vec<Range<usize>> {
        let blocks = balanced_row_blocks(m, tile, max_rows, threads);
        let mut next = 0;
        for b in &blocks {
            assert_eq!(b.start, next, "{m} rows: blocks contiguous");
            assert!(!b.is_empty(), "{m} rows: no empty block");
            assert!(b.end == m || b.len() % tile == 0, "{m} rows: whole tiles");
            next = b.end;
        }
        assert_eq!(next, m, "{m} rows: every row covered");
        blocks
    }

    #[test]
    fn threads_get_equal_work_in_whole_tiles() {
        // small-lstm128's input projection: 400 tiles of 8 in 26 blocks of 15 or 16 tiles,
        // 13 blocks (200 tiles) for each of two threads.
        let blocks = check(3200, 8, 128, 2);
        assert_eq!(blocks.len(), 26);
        let sizes: Vec<usize> = blocks.iter().map(|b| b.len() / 8).collect();
        assert!(sizes.iter().all(|&s| s == 15 || s == 16), "{sizes:?}");
        let first_half: usize = sizes[..13].iter().sum();
        assert_eq!(first_half, 200);
        // Sizes that divide evenly keep blocks of exactly `max_rows`.
        assert!(check(6400, 8, 128, 2).iter().all(|b| b.len() == 128));
        assert_eq!(check(2048, 12, 192, 2).len(), 12);
    }

    #[test]
    fn covers_odd_and_tiny_sizes() {
        for m in [0, 1, 7, 8, 9, 13, 100, 257, 1000, 3203] {
            for threads in [1, 2, 3, 16] {
                let blocks = check(m, 8, 128, threads);
                assert!(blocks.len() <= m.div_ceil(8));
                if m >= 8 * threads {
                    assert_eq!(blocks.len() % threads, 0, "{m} rows, {threads} threads");
                }
            }
        }
    }

    #[test]
    fn splits_c_at_the_blocks() {
        let blocks = balanced_row_blocks(20, 8, 8, 2);
        let mut c: Vec<f32> = (0..20 * 3).map(|v| v as f32).collect();
        let pieces = split_rows_mut(&mut c, 3, &blocks);
        assert_eq!(pieces.len(), blocks.len());
        for ((r0, piece), b) in pieces.iter().zip(&blocks) {
            assert_eq!(*r0, b.start);
            assert_eq!(piece.len(), b.len() * 3);
            assert_eq!(piece[0], (b.start * 3) as f32);
        }
    }
}
