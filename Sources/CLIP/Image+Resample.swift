import Images

extension Image {
    /// This image resized to `width` x `height` as PIL's `Image.resize(size, resample: filter)`
    /// resizes an 8-bit image: separable convolution, first along rows (only the rows the second
    /// pass reads), rounded and clipped to 8 bits, then along columns, rounded and clipped again.
    /// An axis whose size does not change is not filtered; an image of the requested size comes
    /// back unchanged. Every channel is filtered alike (PIL premultiplies alpha first; callers
    /// here pass RGB).
    public func resized(width newWidth: Int, height newHeight: Int, filter: ResampleFilter) throws(ImageError) -> Image {
        guard newWidth > 0, newHeight > 0 else {
            throw ImageError(kind: .invalidArgument, path: nil, message: "cannot resize to \(newWidth)x\(newHeight)")
        }
        if newWidth == width && newHeight == height { return self }
        let columns = ResampleTaps.axis(inSize: height, outSize: newHeight, filter: filter)
        var source = self
        var rowOffset = 0
        if newWidth != width {
            // Rows outside every column window are never read by the vertical pass.
            let firstRow = columns.first?.first ?? 0
            let lastRow = columns.last.map { $0.first + $0.weights.count } ?? height
            source = try horizontalPass(rows: firstRow..<max(lastRow, firstRow), width: newWidth, filter: filter)
            rowOffset = firstRow
        }
        guard newHeight != height else { return source }
        return try source.verticalPass(columns, rowOffset: rowOffset)
    }

    /// Rows `rows` of this image resampled to `newWidth` columns.
    private func horizontalPass(rows: Range<Int>, width newWidth: Int, filter: ResampleFilter) throws(ImageError) -> Image {
        let taps = ResampleTaps.axis(inSize: width, outSize: newWidth, filter: filter)
        var out = [UInt8](repeating: 0, count: rows.count * newWidth * channels)
        let half = 1 << (ResampleTaps.precisionBits - 1)
        pixels.withUnsafeBufferPointer { src in
            for (r, y) in rows.enumerated() {
                let rowBase = y * width * channels
                for (x, tap) in taps.enumerated() {
                    for c in 0..<channels {
                        var sum = half
                        for (i, w) in tap.weights.enumerated() {
                            sum += Int(src[rowBase + (tap.first + i) * channels + c]) * w
                        }
                        out[(r * newWidth + x) * channels + c] = ResampleTaps.clip(sum)
                    }
                }
            }
        }
        return try Image(width: newWidth, height: rows.count, channels: channels, pixels: out)
    }

    /// This image resampled along columns with `taps` (one per output row); source row indices
    /// in `taps` are shifted down by `rowOffset`, the first row this image holds.
    private func verticalPass(_ taps: [ResampleTaps], rowOffset: Int) throws(ImageError) -> Image {
        let stride = width * channels
        var out = [UInt8](repeating: 0, count: taps.count * stride)
        let half = 1 << (ResampleTaps.precisionBits - 1)
        pixels.withUnsafeBufferPointer { src in
            for (y, tap) in taps.enumerated() {
                let first = tap.first - rowOffset
                for j in 0..<stride {
                    var sum = half
                    for (i, w) in tap.weights.enumerated() {
                        sum += Int(src[(first + i) * stride + j]) * w
                    }
                    out[y * stride + j] = ResampleTaps.clip(sum)
                }
            }
        }
        return try Image(width: width, height: taps.count, channels: channels, pixels: out)
    }
}
