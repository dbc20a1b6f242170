import Images

/// A picture as planar RGB values in 0...1 at the reader's working resolution.
struct WorkingImage {
    var width: Int
    var height: Int
    var red: [Double]
    var green: [Double]
    var blue: [Double]
    /// Input pixels per working pixel along each axis.
    var factor: Int

    /// Averages `factor` x `factor` blocks so that the smaller side ends up between 32 and 63
    /// pixels (pictures smaller than 64 are kept as they are). Gray pictures give equal
    /// channels; alpha is ignored.
    init(_ image: Image) {
        let factor = max(1, min(image.width, image.height) / 32)
        let width = image.width / factor
        let height = image.height / factor
        let channels = image.channels
        let colourStride = channels >= 3 ? 1 : 0
        var red = [Double](repeating: 0, count: width * height)
        var green = red
        var blue = red
        let scale = 1 / (255 * Double(factor * factor))
        image.pixels.withUnsafeBufferPointer { pixels in
            for y in 0..<height {
                for x in 0..<width {
                    var sums = (0, 0, 0)
                    for sy in 0..<factor {
                        let row = (y * factor + sy) * image.width
                        for sx in 0..<factor {
                            let base = (row + x * factor + sx) * channels
                            sums.0 += Int(pixels[base])
                            sums.1 += Int(pixels[base + colourStride])
                            sums.2 += Int(pixels[base + 2 * colourStride])
                        }
                    }
                    let index = y * width + x
                    red[index] = Double(sums.0) * scale
                    green[index] = Double(sums.1) * scale
                    blue[index] = Double(sums.2) * scale
                }
            }
        }
        self.width = width
        self.height = height
        self.red = red
        self.green = green
        self.blue = blue
        self.factor = factor
    }
}

/// The background of a picture as estimated from its border.
struct BackgroundEstimate {
    var red: Double
    var green: Double
    var blue: Double
    /// Robust standard deviation of the border pixels around the estimate (median absolute
    /// deviation x 1.4826, averaged over the channels).
    var noise: Double
}

extension ShapesWorldReader {
    /// The per-channel median of the one-pixel border ring and its noise level.
    static func estimateBackground(_ image: WorkingImage) -> BackgroundEstimate {
        let indices = borderIndices(width: image.width, height: image.height)
        var reds = [Double](repeating: 0, count: indices.count)
        var greens = reds
        var blues = reds
        for (position, index) in indices.enumerated() {
            reds[position] = image.red[index]
            greens[position] = image.green[index]
            blues[position] = image.blue[index]
        }
        let red = median(reds)
        let green = median(greens)
        let blue = median(blues)
        for position in 0..<indices.count {
            reds[position] = abs(reds[position] - red)
            greens[position] = abs(greens[position] - green)
            blues[position] = abs(blues[position] - blue)
        }
        let noise = 1.4826 * (median(reds) + median(greens) + median(blues)) / 3
        return BackgroundEstimate(red: red, green: green, blue: blue, noise: noise)
    }

    /// Indices of the pixels on the outermost ring, each once.
    static func borderIndices(width: Int, height: Int) -> [Int] {
        var indices: [Int] = []
        for y in 0..<height {
            for x in 0..<width where y == 0 || y == height - 1 || x == 0 || x == width - 1 {
                indices.append(y * width + x)
            }
        }
        return indices
    }

    /// The median of values in 0...1, to 1/1023 (a histogram, linear time: fast even in
    /// debug builds, where the generic sort is slow).
    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let bins = 1024
        var histogram = [Int](repeating: 0, count: bins)
        for value in values {
            let bin = Int((min(max(value, 0), 1) * Double(bins - 1)).rounded())
            histogram[bin] += 1
        }
        let half = (values.count + 1) / 2
        var seen = 0
        for bin in 0..<bins {
            seen += histogram[bin]
            if seen >= half { return Double(bin) / Double(bins - 1) }
        }
        return 1
    }

    /// The largest channel difference of every pixel from the background.
    static func differences(_ image: WorkingImage, background: BackgroundEstimate) -> [Double] {
        let count = image.width * image.height
        var result = [Double](repeating: 0, count: count)
        for index in 0..<count {
            let dr = abs(image.red[index] - background.red)
            let dg = abs(image.green[index] - background.green)
            let db = abs(image.blue[index] - background.blue)
            result[index] = max(dr, dg, db)
        }
        return result
    }

    /// The noise threshold: at least 0.1, at least five noise deviations.
    static func noiseThreshold(_ background: BackgroundEstimate) -> Double {
        max(0.1, 5 * background.noise)
    }

    /// Pixels whose difference exceeds `threshold`, without isolated ones (fewer than two of
    /// eight neighbours set).
    static func mask(_ differences: [Double], threshold: Double, width: Int, height: Int) -> [Bool] {
        despeckled(differences.map { $0 > threshold }, width: width, height: height)
    }

    /// The median difference of the pixels in `mask`: the object's typical contrast.
    static func contrast(_ differences: [Double], mask: [Bool]) -> Double {
        var values: [Double] = []
        for index in 0..<mask.count where mask[index] { values.append(differences[index]) }
        return median(values)
    }

    static func despeckled(_ mask: [Bool], width: Int, height: Int) -> [Bool] {
        var result = mask
        for y in 0..<height {
            for x in 0..<width where mask[y * width + x] {
                var neighbours = 0
                for ny in max(0, y - 1)...min(height - 1, y + 1) {
                    for nx in max(0, x - 1)...min(width - 1, x + 1) where mask[ny * width + nx] {
                        neighbours += 1
                    }
                }
                // The pixel itself is counted too.
                if neighbours < 3 { result[y * width + x] = false }
            }
        }
        return result
    }

    /// Morphological closing with a (2 radius + 1)-pixel square: bridges stripes and dots of
    /// background colour without rounding convex shapes or the right-angled corners of crosses.
    /// Computed on a canvas padded by `radius` unset pixels, so that objects near the border
    /// neither grow into it nor get eaten by it.
    static func closed(_ mask: [Bool], width: Int, height: Int, radius: Int) -> [Bool] {
        let paddedWidth = width + 2 * radius
        let paddedHeight = height + 2 * radius
        var padded = [Bool](repeating: false, count: paddedWidth * paddedHeight)
        for y in 0..<height {
            for x in 0..<width where mask[y * width + x] {
                padded[(y + radius) * paddedWidth + x + radius] = true
            }
        }
        let rows = filterRows(padded, width: paddedWidth, height: paddedHeight, radius: radius, any: true)
        let dilated = filterColumns(rows, width: paddedWidth, height: paddedHeight, radius: radius, any: true)
        let eroded = filterColumns(filterRows(dilated, width: paddedWidth, height: paddedHeight, radius: radius, any: false),
                                   width: paddedWidth, height: paddedHeight, radius: radius, any: false)
        var result = [Bool](repeating: false, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                result[y * width + x] = eroded[(y + radius) * paddedWidth + x + radius]
            }
        }
        return result
    }

    /// One pass of a 1-D max (`any`) or min filter along rows; outside the canvas counts as
    /// unset for the max and set for the min.
    static func filterRows(_ mask: [Bool], width: Int, height: Int, radius: Int, any: Bool) -> [Bool] {
        filterLines(mask, lines: height, length: width, lineStride: width, step: 1, radius: radius, any: any)
    }

    /// One pass of a 1-D max (`any`) or min filter along columns (outside as in ``filterRows``).
    static func filterColumns(_ mask: [Bool], width: Int, height: Int, radius: Int, any: Bool) -> [Bool] {
        filterLines(mask, lines: width, length: height, lineStride: 1, step: width, radius: radius, any: any)
    }

    /// The 1-D filter over `lines` lines of `length` samples, `step` apart, starting
    /// `lineStride` apart: a sample becomes `any` when any sample within `radius` along its
    /// line is `any`. A running count keeps it linear in the picture size.
    static func filterLines(_ mask: [Bool], lines: Int, length: Int, lineStride: Int, step: Int,
                            radius: Int, any: Bool) -> [Bool] {
        var result = [Bool](repeating: !any, count: mask.count)
        mask.withUnsafeBufferPointer { source in
            result.withUnsafeMutableBufferPointer { target in
                for line in 0..<lines {
                    let base = line * lineStride
                    var count = 0
                    for position in 0..<min(radius, length) where source[base + position * step] == any {
                        count += 1
                    }
                    for position in 0..<length {
                        let entering = position + radius
                        if entering < length && source[base + entering * step] == any { count += 1 }
                        let leaving = position - radius - 1
                        if leaving >= 0 && source[base + leaving * step] == any { count -= 1 }
                        if count > 0 { target[base + position * step] = any }
                    }
                }
            }
        }
        return result
    }

    /// The largest 8-connected component of `mask` (ties: the one found first).
    static func largestComponent(_ mask: [Bool], width: Int, height: Int) -> [Bool] {
        var label = [Int](repeating: 0, count: mask.count)
        var best = 0
        var bestSize = 0
        var next = 0
        var stack: [Int] = []
        for start in 0..<mask.count where mask[start] && label[start] == 0 {
            next += 1
            label[start] = next
            stack.append(start)
            var size = 0
            while let index = stack.popLast() {
                size += 1
                let x = index % width
                let y = index / width
                for ny in max(0, y - 1)...min(height - 1, y + 1) {
                    for nx in max(0, x - 1)...min(width - 1, x + 1) {
                        let neighbour = ny * width + nx
                        if mask[neighbour] && label[neighbour] == 0 {
                            label[neighbour] = next
                            stack.append(neighbour)
                        }
                    }
                }
            }
            if size > bestSize {
                bestSize = size
                best = next
            }
        }
        return label.map { $0 == best && best != 0 }
    }

    /// `mask` with every hole filled: unset pixels that no 4-connected path of unset pixels
    /// links to the border become set.
    static func holesFilled(_ mask: [Bool], width: Int, height: Int) -> [Bool] {
        var filled = [Bool](repeating: true, count: mask.count)
        var stack: [Int] = []
        stack.reserveCapacity(mask.count)
        for index in borderIndices(width: width, height: height) where !mask[index] {
            filled[index] = false
            stack.append(index)
        }
        mask.withUnsafeBufferPointer { source in
            filled.withUnsafeMutableBufferPointer { target in
                while let index = stack.popLast() {
                    let x = index % width
                    let y = index / width
                    if x > 0 && !source[index - 1] && target[index - 1] {
                        target[index - 1] = false
                        stack.append(index - 1)
                    }
                    if x < width - 1 && !source[index + 1] && target[index + 1] {
                        target[index + 1] = false
                        stack.append(index + 1)
                    }
                    if y > 0 && !source[index - width] && target[index - width] {
                        target[index - width] = false
                        stack.append(index - width)
                    }
                    if y < height - 1 && !source[index + width] && target[index + width] {
                        target[index + width] = false
                        stack.append(index + width)
                    }
                }
            }
        }
        return filled
    }
}
