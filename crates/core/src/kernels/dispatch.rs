//! Run-time selection of the widest instruction set for loops written once in plain Rust: the
//! same body is compiled per target feature and the processor picks one when called.

/// Defines `fn $name` that runs `$imp` (an `#[inline(always)]` function of plain loops)
/// compiled for the best available instruction set: AVX-512, AVX2+FMA or the baseline.
///
/// `=> imp::<MulAdd>` names an implementation generic over `activation::MulAdd`: the bodies
/// compiled for FMA instructions get fused multiply-adds, the baseline `activation::Portable`.
macro_rules! dispatch {
    ($(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) => $imp:ident::<MulAdd>) => {
        $crate::kernels::dispatch::dispatch!(@bodies $(#[$meta])* $vis fn $name($($arg: $ty),*)
            => $imp::<$crate::kernels::activation::Fused>, $imp::<$crate::kernels::activation::Portable>);
    };
    ($(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) => $imp:ident) => {
        $crate::kernels::dispatch::dispatch!(@bodies $(#[$meta])* $vis fn $name($($arg: $ty),*) => $imp, $imp);
    };
    (@bodies $(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),*) => $fma:expr, $base:expr) => {
        $(#[$meta])*
        #[allow(clippy::too_many_arguments)]
        $vis fn $name($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                if std::arch::is_x86_feature_detected!("avx512f") {
                    #[target_feature(enable = "avx512f,avx2,fma")]
                    unsafe fn wide($($arg: $ty),*) {
                        $fma($($arg),*)
                    }
                    // SAFETY: the processor supports the features `wide` was compiled for.
                    return unsafe { wide($($arg),*) };
                }
                if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
                    #[target_feature(enable = "avx2,fma")]
                    unsafe fn avx2($($arg: $ty),*) {
                        $fma($($arg),*)
                    }
                    // SAFETY: the processor supports the features `avx2` was compiled for.
                    return unsafe { avx2($($arg),*) };
                }
            }
            $base($($arg),*)
        }
    };
}

pub(crate) use dispatch;
