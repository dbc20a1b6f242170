import Foundation
import StableDiffusion

extension CLIPImageProcessor {
    /// Reads `preprocessor_config.json`. Keys left out keep transformers' CLIP defaults; `size`
    /// may be an integer (the shortest edge) or `{"shortest_edge"}` or `{"height", "width"}`;
    /// `crop_size` an integer (a square) or `{"height", "width"}`; `image_mean`/`image_std` a
    /// number or three numbers; `resample` a PIL filter number 1...5.
    ///
    /// - Throws: ``ModelError`` naming the file and the key: missing file, bad JSON, a value of
    ///   the wrong type or out of range, an unsupported option.
    public static func load(_ url: URL) throws -> CLIPImageProcessor {
        let file = try decodeConfig(PreprocessorFile.self, from: url)
        return try CLIPImageProcessor(file, path: url.path)
    }

    init(_ f: PreprocessorFile, path: String) throws {
        self.init()
        func invalid(_ problem: String) -> ModelError { .invalidConfig(file: path, problem: problem) }
        doConvertRGB = f.doConvertRGB ?? doConvertRGB
        doResize = f.doResize ?? doResize
        doCenterCrop = f.doCenterCrop ?? doCenterCrop
        doRescale = f.doRescale ?? doRescale
        doNormalize = f.doNormalize ?? doNormalize
        if let s = f.size {
            switch s {
            case .integer(let edge): size = .shortestEdge(edge)
            case .dictionary(let d) where Set(d.keys) == ["shortest_edge"]: size = .shortestEdge(d["shortest_edge"] ?? 0)
            case .dictionary(let d) where Set(d.keys) == ["height", "width"]: size = .exact(height: d["height"] ?? 0, width: d["width"] ?? 0)
            case .dictionary(let d):
                throw ModelError.unsupported(file: path, option: "'size' with keys \(d.keys.sorted())", reason: "known: an integer, {shortest_edge}, {height, width}")
            }
        }
        if let c = f.cropSize {
            switch c {
            case .integer(let side): (cropHeight, cropWidth) = (side, side)
            case .dictionary(let d) where Set(d.keys) == ["height", "width"]: (cropHeight, cropWidth) = (d["height"] ?? 0, d["width"] ?? 0)
            case .dictionary(let d):
                throw invalid("'crop_size' must be an integer or {height, width}, found keys \(d.keys.sorted())")
            }
        }
        let sides: [(String, Int)]
        switch size {
        case .shortestEdge(let e): sides = [("size.shortest_edge", e)]
        case .exact(let h, let w): sides = [("size.height", h), ("size.width", w)]
        }
        for (key, v) in sides + [("crop_size.height", cropHeight), ("crop_size.width", cropWidth)] {
            try ModelConfigRange.require(v, in: 1...16_384, key: key, file: path)
        }
        if let r = f.resample {
            guard let filter = ResampleFilter(rawValue: r) else {
                throw ModelError.unsupported(file: path, option: "resample: \(r)", reason: "known PIL filters: 1 (lanczos), 2 (bilinear), 3 (bicubic), 4 (box), 5 (hamming)")
            }
            resample = filter
        }
        if let factor = f.rescaleFactor {
            try ModelConfigRange.require(factor, above: 0, upTo: 1e6, key: "rescale_factor", file: path)
            rescaleFactor = factor
        }
        imageMean = try Self.channels(f.imageMean, default: imageMean, key: "image_mean", path: path)
        imageStd = try Self.channels(f.imageStd, default: imageStd, key: "image_std", path: path)
        if imageStd.contains(0) { throw invalid("'image_std' must not contain 0, found \(imageStd)") }
    }

    /// Three finite per-channel values from a number or a list of three.
    private static func channels(_ value: NumberOrList?, default fallback: [Double], key: String, path: String) throws -> [Double] {
        guard let value else { return fallback }
        let values: [Double]
        switch value {
        case .number(let v): values = [v, v, v]
        case .list(let l): values = l
        }
        guard values.count == 3, values.allSatisfy(\.isFinite) else {
            throw ModelError.invalidConfig(file: path, problem: "'\(key)' must be a number or 3 finite numbers (one per RGB channel), found \(values)")
        }
        return values
    }
}

/// The keys of `preprocessor_config.json` that change the pixels.
struct PreprocessorFile: Decodable {
    var doConvertRGB, doResize, doCenterCrop, doRescale, doNormalize: Bool?
    var size, cropSize: SizeValue?
    var resample: Int?
    var rescaleFactor: Double?
    var imageMean, imageStd: NumberOrList?

    enum CodingKeys: String, CodingKey {
        case doConvertRGB = "do_convert_rgb", doResize = "do_resize", doCenterCrop = "do_center_crop"
        case doRescale = "do_rescale", doNormalize = "do_normalize", size, cropSize = "crop_size"
        case resample, rescaleFactor = "rescale_factor", imageMean = "image_mean", imageStd = "image_std"
    }
}

/// A size given as one integer or as a dictionary of named integers.
enum SizeValue: Decodable {
    case integer(Int)
    case dictionary([String: Int])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let v = try? c.decode(Int.self) { self = .integer(v) } else { self = .dictionary(try c.decode([String: Int].self)) }
    }
}

/// A number or a list of numbers.
enum NumberOrList: Decodable {
    case number(Double)
    case list([Double])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let v = try? c.decode(Double.self) { self = .number(v) } else { self = .list(try c.decode([Double].self)) }
    }
}
