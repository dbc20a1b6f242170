/// Input a loaded CLIP model cannot embed. Problems with the model folder itself are
/// `ModelError`s, `TokenizerError`s or `SafeTensorsError`s naming the file.
public enum CLIPError: Error, Equatable, CustomStringConvertible {
    /// Preprocessing gave pixels of another size than the image tower takes.
    case imageSize(index: Int, height: Int, width: Int, expected: Int)
    /// A token id row that the text tower cannot read.
    case tokenIDs(row: Int, problem: String)

    /// What is wrong, naming the image or row.
    public var description: String {
        switch self {
        case .imageSize(let i, let h, let w, let s):
            return "image \(i): preprocessing gives \(w)x\(h) pixels, the image tower takes \(s)x\(s) (check size and crop_size in preprocessor_config.json)"
        case .tokenIDs(let row, let problem):
            return "token id row \(row): \(problem)"
        }
    }
}
