/// Tells a PyTorch zip checkpoint from a legacy bare pickle or an unrelated file by its first bytes.
enum TorchFileSignature {
    /// Throws unless `head` (the first bytes of the file) starts a zip archive.
    static func check(_ head: [UInt8], path: String) throws {
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) || head.starts(with: [0x50, 0x4B, 0x05, 0x06]) {
            return
        }
        if head.count >= 2, head[0] == 0x80, (2...5).contains(head[1]) {
            throw TorchCheckpointError(.legacyFormat, path: path, "a legacy PyTorch checkpoint (a bare pickle, as torch < 1.6 or _use_new_zipfile_serialization=False wrote), which is not read because only the zip format can be read without running its pickle; convert it to .safetensors first (in an environment you trust: torch.load, then safetensors.torch.save_file of the state dict)")
        }
        if head.isEmpty {
            throw TorchCheckpointError(.notZipArchive, path: path, "the file is empty")
        }
        let shown = head.map { "0x" + String($0, radix: 16) }.joined(separator: " ")
        throw TorchCheckpointError(.notZipArchive, path: path, "not a PyTorch checkpoint: a .ckpt is a zip archive, but this file starts with \(shown)")
    }
}
