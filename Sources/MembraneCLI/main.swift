import Kernels

// Entry point of the `membrane` command; the commands live in their own files.
// First of all, before any thread or MPI call: OpenBLAS's best kernels for this processor
// (this may execute the program again, in the same process).
BLASCoreSelection.ensureBestCore()
MembraneCommand.main()
