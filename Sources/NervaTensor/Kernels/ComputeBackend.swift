import CNervaKernels

/// What does the arithmetic on this machine: the CPU, the instruction set the element-wise kernels
/// were chosen for, and the library behind matrix products and convolutions.
///
/// The choice is made once per process from the CPU's feature bits; the environment variable
/// `NERVA_ISA` (`baseline`, `avx2`, `avx512`) caps it, e.g. to test the portable kernels.
public enum ComputeBackend {
    /// An instruction set the kernels are compiled for.
    public enum InstructionSet: String, Sendable, Comparable {
        case baseline, avx2, avx512

        public static func < (a: Self, b: Self) -> Bool { a.level < b.level }
        private var level: Int { self == .baseline ? 0 : self == .avx2 ? 1 : 2 }

        init(_ isa: NervaISA) {
            switch isa {
            case NervaISAAVX512: self = .avx512
            case NervaISAAVX2: self = .avx2
            default: self = .baseline
            }
        }
    }

    /// The instruction set in use (the CPU's best, capped by `NERVA_ISA`).
    public static var instructionSet: InstructionSet { InstructionSet(nerva_isa()) }

    /// The best instruction set this CPU supports.
    public static var cpuInstructionSet: InstructionSet { InstructionSet(nerva_cpu_isa()) }

    /// The CPU's model name, as the operating system reports it (empty when unknown).
    public static var cpuModel: String { String(cString: nerva_cpu_model()) }

    /// The library doing matrix products, with its version and the ISA of its JIT kernels, e.g.
    /// `oneDNN 2.6.3 (avx512_core_amx)`; `Accelerate` on macOS.
    public static var library: String {
        let version = String(cString: nerva_backend_version())
        guard !version.isEmpty else { return "Accelerate" }
        return "oneDNN \(version) (\(String(cString: nerva_backend_isa())))"
    }

    /// How many threads kernels use in all.
    public static var threadCount: Int { ThreadBudget.threadCount }

    /// Hands memory kept for reuse back to the system: the tensor storage cache's buffers and
    /// what the C allocator keeps in its arenas (glibc's `malloc_trim`). For long-lived processes
    /// between phases of work, and to measure a workload's memory apart from the previous one's.
    public static func releaseCachedMemory() {
        StorageCache.empty()
        nerva_release_allocator_cache()
    }

    /// Makes every allocation of at least `bytes` a mapping of its own that goes back to the
    /// system when freed (glibc's `M_MMAP_THRESHOLD`). glibc otherwise raises that threshold to
    /// the size of the first large block freed, after which multi-megabyte buffers (a federated
    /// model's encoded parameters, say) stay in per-thread arenas: a server with ten clients kept
    /// 730 MB resident for 390 MB of live data. Tensor storage is unaffected (it has its own cache).
    /// A process-wide setting: the `nerva` tool calls it at start; call it early in your program.
    public static func returnLargeBuffersToSystem(from bytes: Int = 4 << 20) {
        precondition(bytes > 0, "the threshold must be positive, got \(bytes)")
        nerva_set_mmap_threshold(bytes)
    }

    /// One line for reports and benchmark headers.
    public static var summary: String {
        "\(cpuModel.isEmpty ? "unknown CPU" : cpuModel) · kernels \(instructionSet.rawValue) · \(library) · \(threadCount) threads"
    }
}
