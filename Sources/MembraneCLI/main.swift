import Foundation
import Kernels

// Entry point of the `membrane` command; the commands live in their own files.
// First of all, before any thread or MPI call: OpenBLAS's best kernels for this processor
// (this may execute the program again, in the same process).
BLASCoreSelection.ensureBestCore()
// A MEMBRANE_ISA the program cannot honour stops every command but `doctor` (which reports it).
if CommandLine.arguments.dropFirst().first != "doctor" {
    do { _ = try KernelISA.validateEnvironment() } catch {
        FileHandle.standardError.write(Data("membrane: error: \(error)\n".utf8))
        exit(2)
    }
}
MembraneCommand.main()
