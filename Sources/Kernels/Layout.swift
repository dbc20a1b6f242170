// Data movement kernels: axis permutations, strided block copies, nearest-neighbour resampling.

/// Copies `rows` runs of `length` floats from `src` (runs `srcStride` apart) to `dst` (runs
/// `dstStride` apart). Parallel over runs when there is enough to move.
public func copyRows(_ src: UnsafePointer<Float>, srcStride: Int,
                     _ dst: UnsafeMutablePointer<Float>, dstStride: Int, rows: Int, length: Int) {
    if length == 0 { return }
    parallelFor(rows, grain: max(1, 65_536 / length)) { r in
        for i in r { (dst + i * dstStride).update(from: src + i * srcStride, count: length) }
    }
}

/// Transposes `batch` row-major `rows x cols` matrices: `dst[b][j][i] = src[b][i][j]`.
/// Cache-blocked in 32x32 tiles, parallel over (matrix, strip of 32 source rows). Each tile is
/// gathered into a small buffer and written out row by row, so both the strided reads and the
/// strided writes touch each cache line in one burst (power-of-two strides such as 4096 would
/// otherwise evict the tile's lines from their shared cache set before they are complete).
public func transposeBatched(_ src: UnsafePointer<Float>, batch: Int, rows: Int, cols: Int,
                             _ dst: UnsafeMutablePointer<Float>) {
    let tile = 32, strips = (rows + tile - 1) / tile, size = rows * cols
    if size == 0 { return }
    parallelFor(batch * strips, grain: max(1, 65_536 / (tile * max(1, cols)))) { r in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: tile * tile) { buffer in
            let buf = buffer.baseAddress!
            for unit in r {
                let b = unit / strips, i0 = (unit % strips) * tile, i1 = min(rows, i0 + tile), h = i1 - i0
                let s = src + b * size + i0 * cols, d = dst + b * size + i0
                var j0 = 0
                while j0 < cols {
                    let w = min(tile, cols - j0)
                    for i in 0..<h {
                        let row = s + i * cols + j0
                        for j in 0..<w { buf[j * tile + i] = row[j] }
                    }
                    for j in 0..<w { (d + (j0 + j) * rows).update(from: buf + j * tile, count: h) }
                    j0 += w
                }
            }
        }
    }
}

/// Writes `src`, a row-major tensor of `shape`, with its axes reordered: output axis `k` is input
/// axis `axes[k]`. Axes that stay adjacent are merged first; a permutation that reduces to a
/// (batched) matrix transpose, e.g. NCHW <-> NHWC, runs the blocked transpose kernel, one that
/// keeps the innermost axis copies contiguous runs, and anything else walks element by element.
public func permute(_ src: UnsafePointer<Float>, shape: [Int], axes: [Int], _ dst: UnsafeMutablePointer<Float>) {
    precondition(axes.count == shape.count && Set(axes) == Set(0..<shape.count),
                 "permute: \(axes) is not a permutation of \(shape.count) axes")
    let total = shape.reduce(1, *)
    if total == 0 { return }
    // Drop extent-1 axes and renumber the rest.
    var kept: [Int] = []   // original axis numbers with extent > 1, in input order
    for a in shape.indices where shape[a] > 1 { kept.append(a) }
    let rename = Dictionary(uniqueKeysWithValues: kept.enumerated().map { ($0.element, $0.offset) })
    let perm = axes.compactMap { rename[$0] }
    let extents = kept.map { shape[$0] }
    // Merge runs of output axes that are consecutive input axes.
    var runs: [[Int]] = []
    for a in perm {
        if let last = runs.last?.last, a == last + 1 { runs[runs.count - 1].append(a) } else { runs.append([a]) }
    }
    let byInput = runs.indices.sorted { runs[$0][0] < runs[$1][0] }
    var inShape = [Int](repeating: 1, count: runs.count)
    var order = [Int](repeating: 0, count: runs.count) // reduced input axis of each output axis
    for (position, run) in byInput.enumerated() {
        inShape[position] = runs[run].reduce(1) { $0 * extents[$1] }
        order[run] = position
    }
    let r = order.count
    if r <= 1 || order == Array(0..<r) {
        copyRows(src, srcStride: 0, dst, dstStride: 0, rows: 1, length: total)
        return
    }
    if r == 2 {
        transposeBatched(src, batch: 1, rows: inShape[0], cols: inShape[1], dst)
        return
    }
    if r == 3 && order == [0, 2, 1] {
        transposeBatched(src, batch: inShape[0], rows: inShape[1], cols: inShape[2], dst)
        return
    }
    // General walk: output rows along the last output axis, read with that axis' input stride.
    var inStrides = [Int](repeating: 1, count: r)
    for a in stride(from: r - 2, through: 0, by: -1) { inStrides[a] = inStrides[a + 1] * inShape[a + 1] }
    let outShape = order.map { inShape[$0] }
    let walkStrides = order.map { inStrides[$0] }
    let inner = outShape[r - 1], innerStride = walkStrides[r - 1], rowCount = total / inner
    parallelFor(rowCount, grain: max(1, 16_384 / inner)) { rowsRange in
        for row in rowsRange {
            var rest = row, from = 0
            for a in stride(from: r - 2, through: 0, by: -1) {
                from += (rest % outShape[a]) * walkStrides[a]
                rest /= outShape[a]
            }
            let d = dst + row * inner, s = src + from
            if innerStride == 1 {
                d.update(from: s, count: inner)
            } else {
                for i in 0..<inner { d[i] = s[i * innerStride] }
            }
        }
    }
}

/// Nearest-neighbour 2x upsampling of `planes` row-major `height x width` planes into
/// `2height x 2width` planes. Parallel over planes.
public func upsampleNearest2x(_ src: UnsafePointer<Float>, planes: Int, height: Int, width: Int,
                              _ dst: UnsafeMutablePointer<Float>) {
    let plane = height * width, w2 = 2 * width
    parallelFor(planes, grain: max(1, 16_384 / max(1, 4 * plane))) { r in
        for p in r {
            let s = src + p * plane, d = dst + p * 4 * plane
            for i in 0..<height {
                let row = s + i * width, top = d + 2 * i * w2
                for j in 0..<width {
                    let v = row[j]
                    top[2 * j] = v
                    top[2 * j + 1] = v
                }
                (top + w2).update(from: top, count: w2)
            }
        }
    }
}

/// The adjoint of ``upsampleNearest2x(_:planes:height:width:_:)``: each output element of the
/// `height x width` planes is the sum of its 2x2 block in the `2height x 2width` source planes.
public func sumBlocks2x2(_ src: UnsafePointer<Float>, planes: Int, height: Int, width: Int,
                         _ dst: UnsafeMutablePointer<Float>) {
    let plane = height * width, w2 = 2 * width
    parallelFor(planes, grain: max(1, 16_384 / max(1, 4 * plane))) { r in
        for p in r {
            let s = src + p * 4 * plane, d = dst + p * plane
            for i in 0..<height {
                let top = s + 2 * i * w2, bottom = top + w2, row = d + i * width
                for j in 0..<width {
                    row[j] = (top[2 * j] + top[2 * j + 1]) + (bottom[2 * j] + bottom[2 * j + 1])
                }
            }
        }
    }
}
