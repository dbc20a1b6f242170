import Foundation

/// Where an object lies in the working image.
struct ObjectBounds {
    var minX: Int
    var minY: Int
    var maxX: Int
    var maxY: Int
    var area: Int

    var width: Int { maxX - minX + 1 }
    var height: Int { maxY - minY + 1 }
}

extension ShapesWorldReader {
    /// Number of values ``shapeFeatures(_:width:height:)`` returns.
    static let shapeFeatureCount = 13 + gridSide * gridSide
    /// Cells per side of the occupancy grid (5 beat 3 and 4 on soft pictures).
    static let gridSide = 5

    /// The bounding box and pixel count of `mask`, `nil` when it is empty.
    static func bounds(of mask: [Bool], width: Int, height: Int) -> ObjectBounds? {
        var result = ObjectBounds(minX: width, minY: height, maxX: -1, maxY: -1, area: 0)
        for y in 0..<height {
            for x in 0..<width where mask[y * width + x] {
                result.minX = min(result.minX, x)
                result.maxX = max(result.maxX, x)
                result.minY = min(result.minY, y)
                result.maxY = max(result.maxY, y)
                result.area += 1
            }
        }
        return result.area > 0 ? result : nil
    }

    /// The object cut to its bounding box and turned so that its heavier half is at the bottom:
    /// transposed when it is more lopsided left/right than top/bottom, then flipped upside down
    /// when its top is heavier. Triangles pointing any of the four ways come out pointing up;
    /// the symmetric shapes are unchanged up to these flips.
    static func canonicalCrop(_ mask: [Bool], width: Int, bounds: ObjectBounds) -> (cells: [Bool], width: Int, height: Int) {
        var cropWidth = bounds.width
        var cropHeight = bounds.height
        var cells = [Bool](repeating: false, count: cropWidth * cropHeight)
        var sumX = 0.0, sumY = 0.0
        for y in 0..<cropHeight {
            for x in 0..<cropWidth where mask[(y + bounds.minY) * width + x + bounds.minX] {
                cells[y * cropWidth + x] = true
                sumX += Double(x)
                sumY += Double(y)
            }
        }
        let area = Double(bounds.area)
        let offsetX = (sumX / area - Double(cropWidth - 1) / 2) / Double(cropWidth)
        var offsetY = (sumY / area - Double(cropHeight - 1) / 2) / Double(cropHeight)
        if abs(offsetX) > abs(offsetY) {
            var transposed = [Bool](repeating: false, count: cells.count)
            for y in 0..<cropHeight {
                for x in 0..<cropWidth {
                    transposed[x * cropHeight + y] = cells[y * cropWidth + x]
                }
            }
            cells = transposed
            swap(&cropWidth, &cropHeight)
            offsetY = offsetX
        }
        if offsetY < 0 {
            var flipped = cells
            for y in 0..<cropHeight {
                for x in 0..<cropWidth {
                    flipped[(cropHeight - 1 - y) * cropWidth + x] = cells[y * cropWidth + x]
                }
            }
            cells = flipped
        }
        return (cells, cropWidth, cropHeight)
    }

    /// Hand-made, size-independent features of a filled object mask:
    /// fill ratio of the bounding box, log aspect ratio, centroid offset (top/bottom
    /// asymmetry), fill of five horizontal and five vertical bands, and fill of a 5x5 grid
    /// (crosses have empty corners, diamonds nearly empty ones, squares full ones).
    static func shapeFeatures(_ mask: [Bool], width: Int, height: Int) -> [Double]? {
        guard let box = bounds(of: mask, width: width, height: height) else { return nil }
        let crop = canonicalCrop(mask, width: width, bounds: box)
        let w = crop.width
        let h = crop.height
        var rowBands = [Double](repeating: 0, count: 5)
        var rowBandSize = [Double](repeating: 0, count: 5)
        var columnBands = [Double](repeating: 0, count: 5)
        var columnBandSize = [Double](repeating: 0, count: 5)
        let cells = gridSide * gridSide
        var grid = [Double](repeating: 0, count: cells)
        var gridSize = [Double](repeating: 0, count: cells)
        var sumY = 0.0
        for y in 0..<h {
            let rowBand = band(y, of: h, bands: 5)
            let gridRow = band(y, of: h, bands: gridSide)
            for x in 0..<w {
                let columnBand = band(x, of: w, bands: 5)
                let cell = gridRow * gridSide + band(x, of: w, bands: gridSide)
                rowBandSize[rowBand] += 1
                columnBandSize[columnBand] += 1
                gridSize[cell] += 1
                guard crop.cells[y * w + x] else { continue }
                rowBands[rowBand] += 1
                columnBands[columnBand] += 1
                grid[cell] += 1
                sumY += Double(y)
            }
        }
        let area = Double(box.area)
        var features: [Double] = []
        features.reserveCapacity(shapeFeatureCount)
        features.append(area / Double(w * h))
        features.append(log(Double(w) / Double(h)))
        features.append((sumY / area - Double(h - 1) / 2) / Double(h))
        for index in 0..<5 { features.append(rowBands[index] / max(rowBandSize[index], 1)) }
        for index in 0..<5 { features.append(columnBands[index] / max(columnBandSize[index], 1)) }
        for index in 0..<cells { features.append(grid[index] / max(gridSize[index], 1)) }
        return features
    }

    /// Which of `bands` equal bands the pixel `position` of `count` falls into (by its centre).
    @inline(__always)
    static func band(_ position: Int, of count: Int, bands: Int) -> Int {
        min(bands - 1, (2 * position + 1) * bands / (2 * count))
    }
}
