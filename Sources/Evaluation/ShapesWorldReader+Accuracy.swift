extension ShapesWorldReader {
    /// Reads `samples` fresh drawings of a ``ShapesWorldDrawer`` seeded with `seed` and returns
    /// the fractions whose colour and whose shape were read as drawn (0 when `samples` < 1).
    /// Use a seed other than ``trainingSeed`` to measure on pictures the classifier never saw.
    /// - Parameter pastel: the drawer's pastel tint (0 for the plain world, 0.35 for the
    ///   pastel-tinted one).
    public static func accuracyReport(samples: Int, seed: UInt64, pastel: Double = 0) -> (colour: Double, shape: Double) {
        guard samples > 0 else { return (0, 0) }
        var drawer = ShapesWorldDrawer(seed: seed, options: .init(pastel: pastel))
        var colourHits = 0
        var shapeHits = 0
        for _ in 0..<samples {
            let drawing = drawer.draw()
            let reading = read(drawing.image)
            if reading.colour == drawing.colour { colourHits += 1 }
            if reading.shape == drawing.shape { shapeHits += 1 }
        }
        return (Double(colourHits) / Double(samples), Double(shapeHits) / Double(samples))
    }
}
