import Images

/// transformers' `CLIPImageProcessor` with its PIL backend (the behaviour of every transformers
/// release before 5, and of `CLIPImageProcessorPil` after): RGB conversion, resize, center crop,
/// rescale, normalise, giving channel-first float pixels.
public struct CLIPImageProcessor: Sendable, Equatable {
    /// How `size` asks images to be resized.
    public enum Size: Sendable, Equatable {
        /// Scale so the shorter side has this length, keeping the aspect ratio (the longer side
        /// is truncated to an integer).
        case shortestEdge(Int)
        /// Resize to exactly this height and width.
        case exact(height: Int, width: Int)
    }

    /// OpenAI CLIP's per-channel mean, transformers' default `image_mean`.
    public static let openAIMean = [0.48145466, 0.4578275, 0.40821073]
    /// OpenAI CLIP's per-channel standard deviation, transformers' default `image_std`.
    public static let openAIStd = [0.26862954, 0.26130258, 0.27577711]

    /// `do_convert_rgb`: turn gray and alpha images into RGB first (see `Image.rgb()`).
    public var doConvertRGB = true
    /// `do_resize`: resize by ``size`` with ``resample``.
    public var doResize = true
    /// `size`.
    public var size = Size.shortestEdge(224)
    /// `resample`: PIL's filter number.
    public var resample = ResampleFilter.bicubic
    /// `do_center_crop`: cut the centred ``cropHeight`` x ``cropWidth`` window.
    public var doCenterCrop = true
    /// `crop_size.height`.
    public var cropHeight = 224
    /// `crop_size.width`.
    public var cropWidth = 224
    /// `do_rescale`: multiply the 8-bit samples by ``rescaleFactor``.
    public var doRescale = true
    /// `rescale_factor`.
    public var rescaleFactor = 1.0 / 255
    /// `do_normalize`: subtract ``imageMean`` and divide by ``imageStd`` per channel.
    public var doNormalize = true
    /// One value per RGB channel.
    public var imageMean = CLIPImageProcessor.openAIMean
    /// One value per RGB channel.
    public var imageStd = CLIPImageProcessor.openAIStd

    /// transformers' defaults for CLIP.
    public init() {}

    /// The (height, width) the resize step gives an image of `height` x `width`.
    public func resizedSize(height: Int, width: Int) -> (height: Int, width: Int) {
        switch size {
        case .exact(let h, let w):
            return (h, w)
        case .shortestEdge(let edge):
            let short = min(width, height), long = max(width, height)
            // Python's int(edge * long / short): a correctly rounded quotient, then truncated.
            let newLong = Int(Double(edge * long) / Double(short))
            return width <= height ? (newLong, edge) : (edge, newLong)
        }
    }

    /// The RGB image after conversion, resize and center crop (the 8-bit stage).
    public func resizedAndCropped(_ image: Image) throws(ImageError) -> Image {
        var img = image
        if doConvertRGB {
            img = try img.rgb()
        } else if img.channels != 3 {
            throw ImageError(kind: .invalidArgument, path: nil, message: "the image has \(img.channels) channels and do_convert_rgb is false: RGB is needed")
        }
        if doResize {
            let (h, w) = resizedSize(height: img.height, width: img.width)
            img = try img.resized(width: w, height: h, filter: resample)
        }
        if doCenterCrop { img = try img.centerCropped(height: cropHeight, width: cropWidth) }
        return img
    }

    /// The model input for `image`: [3, H, W] channel-first floats, `H`/`W` from
    /// ``outputSize(height:width:)``. Rescaling multiplies in double precision and rounds to
    /// float; normalising subtracts and divides in float, as NumPy does on float32 arrays.
    public func pixelValues(_ image: Image) throws(ImageError) -> PixelValues {
        let img = try resizedAndCropped(image)
        let plane = img.width * img.height
        var values = [Float](repeating: 0, count: 3 * plane)
        let mean = imageMean.map { Float($0) }, std = imageStd.map { Float($0) }
        for p in 0..<plane {
            for c in 0..<3 {
                let sample = img.pixels[p * 3 + c]
                var v = doRescale ? Float(Double(sample) * rescaleFactor) : Float(sample)
                if doNormalize { v = (v - mean[c]) / std[c] }
                values[c * plane + p] = v
            }
        }
        return PixelValues(height: img.height, width: img.width, values: values)
    }

    /// The (height, width) of ``pixelValues(_:)`` for an image of `height` x `width`.
    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        if doCenterCrop { return (cropHeight, cropWidth) }
        return doResize ? resizedSize(height: height, width: width) : (height, width)
    }
}

/// Channel-first float pixels of one RGB image.
public struct PixelValues: Sendable, Equatable {
    /// Rows.
    public var height: Int
    /// Columns.
    public var width: Int
    /// `3 * height * width` values: the red plane, then green, then blue, rows top to bottom.
    public var values: [Float]
}

extension Image {
    /// The `height` x `width` window centred as transformers centres it: the top-left corner at
    /// floor((H - height) / 2), floor((W - width) / 2); where the window reaches past the image
    /// (a crop larger than the image) it is filled with zeros.
    public func centerCropped(height cropHeight: Int, width cropWidth: Int) throws(ImageError) -> Image {
        let top = Self.floorHalf(height - cropHeight), left = Self.floorHalf(width - cropWidth)
        var out = [UInt8](repeating: 0, count: cropHeight * cropWidth * channels)
        for y in 0..<cropHeight {
            let sy = y + top
            guard sy >= 0 && sy < height else { continue }
            for x in 0..<cropWidth {
                let sx = x + left
                guard sx >= 0 && sx < width else { continue }
                for c in 0..<channels { out[(y * cropWidth + x) * channels + c] = pixels[(sy * width + sx) * channels + c] }
            }
        }
        return try Image(width: cropWidth, height: cropHeight, channels: channels, pixels: out)
    }

    /// Python's `n // 2`: rounded towards minus infinity.
    private static func floorHalf(_ n: Int) -> Int { n >= 0 ? n / 2 : -((-n + 1) / 2) }
}
