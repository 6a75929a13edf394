//! What processor this is: vendor, brand string, family/model and the vector features that
//! matter to the kernels, classified into the microarchitecture families the kernels are tuned
//! for. AVX-512 alone does not say enough: Zen 4 runs it on 256-bit datapaths, Sapphire
//! Rapids-class Xeons on two 512-bit FMA ports with AMX beside them, so tile shapes, blocking and
//! threading thresholds differ. The benchmark records this with every result.

/// The families the kernels distinguish (each has a `kernels::plan::KernelPlan`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CpuClass {
    /// AMD Zen 4 (family 19h with AVX-512: 512-bit instructions on 256-bit datapaths).
    Zen4,
    /// AMD Zen 5 (family 1Ah: 512-bit datapaths on server parts).
    Zen5,
    /// Intel with AMX tiles: Sapphire Rapids, Emerald Rapids, Granite Rapids (two 512-bit FMA
    /// ports on Xeon Gold/Platinum).
    IntelAmx,
    /// Intel with AVX-512 and no AMX: Skylake-SP to Ice Lake-SP.
    IntelAvx512,
    /// Any other x86-64 with AVX2 and FMA (Zen 1-3, client Intel).
    X86Avx2,
    /// x86-64 without AVX2/FMA: the portable kernels.
    X86Baseline,
    Arm64,
    Other,
}

impl CpuClass {
    pub const ALL: [CpuClass; 8] = [
        CpuClass::Zen4,
        CpuClass::Zen5,
        CpuClass::IntelAmx,
        CpuClass::IntelAvx512,
        CpuClass::X86Avx2,
        CpuClass::X86Baseline,
        CpuClass::Arm64,
        CpuClass::Other,
    ];

    /// The family of a `name()`.
    pub fn from_name(name: &str) -> Option<CpuClass> {
        CpuClass::ALL.into_iter().find(|c| c.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            CpuClass::Zen4 => "zen4",
            CpuClass::Zen5 => "zen5",
            CpuClass::IntelAmx => "intel-amx",
            CpuClass::IntelAvx512 => "intel-avx512",
            CpuClass::X86Avx2 => "x86-avx2",
            CpuClass::X86Baseline => "x86",
            CpuClass::Arm64 => "arm64",
            CpuClass::Other => "other",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpuDescription {
    /// `GenuineIntel`, `AuthenticAMD`, ... (empty off x86).
    pub vendor: String,
    /// The processor's brand string (empty where CPUID has none).
    pub brand: String,
    /// Display family and model (extended fields folded in, as Intel and AMD document).
    pub family: u32,
    pub model: u32,
    pub class: CpuClass,
    /// The vector features present, by their Linux /proc/cpuinfo names.
    pub features: Vec<&'static str>,
}

/// The family from CPUID facts: vendor, display family/model and the features present.
pub fn classify(vendor: &str, family: u32, _model: u32, features: &[&str]) -> CpuClass {
    let has = |f: &str| features.contains(&f);
    let avx2 = has("avx2") && has("fma");
    match vendor {
        "AuthenticAMD" | "HygonGenuine" if family >= 0x1a && has("avx512f") => CpuClass::Zen5,
        "AuthenticAMD" | "HygonGenuine" if family == 0x19 && has("avx512f") => CpuClass::Zen4,
        "GenuineIntel" if has("amx_tile") => CpuClass::IntelAmx,
        "GenuineIntel" if has("avx512f") => CpuClass::IntelAvx512,
        "" if cfg!(target_arch = "aarch64") => CpuClass::Arm64,
        "" => CpuClass::Other,
        _ if avx2 => CpuClass::X86Avx2,
        _ => CpuClass::X86Baseline,
    }
}

/// This processor, asked once per call (CPUID is cheap).
pub fn describe() -> CpuDescription {
    #[cfg(target_arch = "x86_64")]
    {
        x86::describe()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        CpuDescription {
            vendor: String::new(),
            brand: String::new(),
            family: 0,
            model: 0,
            class: classify("", 0, 0, &[]),
            features: Vec::new(),
        }
    }
}

/// Logical CPUs that share the first CPU's core (2 with hyperthreading), where the OS says
/// (Linux's topology files). A 2-vCPU machine whose two CPUs are one core's hyperthreads has one
/// core's FMA ports and caches for both threads: the benchmark records this beside the peak.
pub fn threads_per_core() -> Option<usize> {
    let list =
        std::fs::read_to_string("/sys/devices/system/cpu/cpu0/topology/thread_siblings_list")
            .ok()?;
    count_cpu_list(list.trim())
}

/// How many CPUs a kernel CPU list names ("0", "0,4", "0-1", "0-1,8-9").
fn count_cpu_list(list: &str) -> Option<usize> {
    list.split(',').try_fold(0, |total, part| {
        let count = match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (
                    a.trim().parse::<usize>().ok()?,
                    b.trim().parse::<usize>().ok()?,
                );
                b.checked_sub(a)? + 1
            }
            None => {
                part.trim().parse::<usize>().ok()?;
                1
            }
        };
        Some(total + count)
    })
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::{__cpuid, __cpuid_count, CpuidResult};

    use super::{classify, CpuDescription};

    fn bytes(regs: &[u32]) -> String {
        let raw: Vec<u8> = regs.iter().flat_map(|r| r.to_le_bytes()).collect();
        String::from_utf8_lossy(&raw)
            .trim_matches(char::from(0))
            .trim()
            .to_string()
    }

    pub fn describe() -> CpuDescription {
        // CPUID exists on every x86-64 processor; leaves are read only up to the highest one
        // the processor reports.
        let r = __cpuid(0);
        let (max_leaf, vendor) = (r.eax, bytes(&[r.ebx, r.edx, r.ecx]));
        let sig = __cpuid(1).eax;
        let base_family = (sig >> 8) & 0xf;
        let base_model = (sig >> 4) & 0xf;
        let family = if base_family == 0xf {
            base_family + ((sig >> 20) & 0xff)
        } else {
            base_family
        };
        let model = if base_family == 0x6 || base_family == 0xf {
            base_model | (((sig >> 16) & 0xf) << 4)
        } else {
            base_model
        };
        let max_ext = __cpuid(0x8000_0000).eax;
        let brand = if max_ext >= 0x8000_0004 {
            let regs: Vec<u32> = (0x8000_0002u32..=0x8000_0004)
                .flat_map(|leaf| {
                    // Checked against the highest extended leaf above.
                    let CpuidResult { eax, ebx, ecx, edx } = __cpuid(leaf);
                    [eax, ebx, ecx, edx]
                })
                .collect();
            bytes(&regs)
        } else {
            String::new()
        };
        let mut features: Vec<&'static str> = Vec::new();
        macro_rules! detect {
            ($($name:literal => $feature:tt),*) => {
                $(if std::arch::is_x86_feature_detected!($feature) { features.push($name); })*
            };
        }
        detect!("avx2" => "avx2", "fma" => "fma", "avx512f" => "avx512f", "avx512bw" => "avx512bw",
                "avx512vl" => "avx512vl", "avx512_vnni" => "avx512vnni");
        if max_leaf >= 7 && features.contains(&"avx512f") {
            // Leaf 7 exists (checked); sub-leaf 1 is reported by sub-leaf 0's eax.
            let l7 = __cpuid_count(7, 0);
            let l7_1 = if l7.eax >= 1 {
                __cpuid_count(7, 1).eax
            } else {
                0
            };
            // The OS enabled AVX-512 state (detected above); AMX also needs its tile state,
            // which Linux grants on request, so its CPUID bits are reported as they are.
            if l7_1 & (1 << 5) != 0 {
                features.push("avx512_bf16");
            }
            if l7.edx & (1 << 23) != 0 {
                features.push("avx512_fp16");
            }
            if l7.edx & (1 << 24) != 0 {
                features.push("amx_tile");
            }
            if l7.edx & (1 << 22) != 0 {
                features.push("amx_bf16");
            }
        }
        let class = classify(&vendor, family, model, &features);
        CpuDescription {
            vendor,
            brand,
            family,
            model,
            class,
            features,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lists_are_counted() {
        assert_eq!(count_cpu_list("0"), Some(1));
        assert_eq!(count_cpu_list("0,4"), Some(2));
        assert_eq!(count_cpu_list("0-1"), Some(2));
        assert_eq!(count_cpu_list("0-1,8-9"), Some(4));
        assert_eq!(count_cpu_list("x"), None);
        assert_eq!(count_cpu_list("3-1"), None);
    }

    #[test]
    fn families_are_told_apart_by_vendor_family_and_features() {
        let zen4 = [
            "avx2",
            "fma",
            "avx512f",
            "avx512bw",
            "avx512vl",
            "avx512_bf16",
        ];
        assert_eq!(classify("AuthenticAMD", 0x19, 0x11, &zen4), CpuClass::Zen4);
        assert_eq!(classify("AuthenticAMD", 0x1a, 0x02, &zen4), CpuClass::Zen5);
        // Zen 3 is family 19h too, without AVX-512.
        assert_eq!(
            classify("AuthenticAMD", 0x19, 0x01, &["avx2", "fma"]),
            CpuClass::X86Avx2
        );
        let spr = [
            "avx2",
            "fma",
            "avx512f",
            "avx512_fp16",
            "amx_tile",
            "amx_bf16",
        ];
        assert_eq!(classify("GenuineIntel", 6, 0x8f, &spr), CpuClass::IntelAmx);
        assert_eq!(
            classify("GenuineIntel", 6, 0x55, &["avx2", "fma", "avx512f"]),
            CpuClass::IntelAvx512
        );
        assert_eq!(
            classify("GenuineIntel", 6, 0x9e, &["avx2", "fma"]),
            CpuClass::X86Avx2
        );
        assert_eq!(
            classify("GenuineIntel", 6, 0x1a, &[]),
            CpuClass::X86Baseline
        );
    }

    #[test]
    fn this_processor_is_described_consistently() {
        let d = describe();
        assert_eq!(d.class, classify(&d.vendor, d.family, d.model, &d.features));
        if cfg!(target_arch = "x86_64") {
            assert!(!d.vendor.is_empty());
            assert!(d.family > 0);
        }
    }
}
