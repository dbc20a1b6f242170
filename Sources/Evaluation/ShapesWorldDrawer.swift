import Images

/// Draws ShapesWorld pictures procedurally: one object (random shape, colour with a small
/// jitter, texture, size and position) on a noisy white, gray or black background.
///
/// Deterministic: the same seed and options give the same pictures, in the same order.
/// Shapes are axis-aligned (triangles point up); edges are anti-aliased with 3x3 supersampling.
public struct ShapesWorldDrawer: Sendable {
    /// What every picture of a drawer shares.
    public struct Options: Sendable, Equatable {
        /// Picture width in pixels; shapes, stripes and dots scale with the smaller side.
        public var width: Int
        /// Picture height in pixels.
        public var height: Int
        /// How far object colours are mixed towards white, 0 (none) to 1 (white); 0.35 gives the
        /// pastel-tinted world.
        public var pastel: Double
        /// Standard deviation of the per-pixel, per-channel noise, in 0...1 units.
        public var noise: Double
        /// Largest change of each channel of the object colour, in 0...1 units.
        public var colourJitter: Double
        /// How soft the picture is, 0 (sharp) to 1: the weight of a 3x3 box blur mixed into the
        /// picture before the noise, like the soft edges of decoded pictures.
        public var softness: Double

        /// Options for the plain 32x32 world by default; out-of-range values are clamped.
        public init(width: Int = 32, height: Int = 32, pastel: Double = 0, noise: Double = 0.025,
                    colourJitter: Double = 0.04, softness: Double = 0) {
            self.width = max(1, width)
            self.height = max(1, height)
            self.pastel = min(max(pastel, 0), 1)
            self.noise = max(noise, 0)
            self.colourJitter = max(colourJitter, 0)
            self.softness = min(max(softness, 0), 1)
        }
    }

    /// A drawn picture and what it shows.
    public struct Drawing: Sendable {
        /// The picture: 8-bit RGB, `options.width` x `options.height`.
        public let image: Image
        /// What was drawn.
        public let shape: ShapeKind
        public let colour: ColourKind
        public let texture: TextureKind
        public let background: BackgroundKind
        /// Centre of the object in pixels, x to the right.
        public let centreX: Double
        /// Centre of the object in pixels, y down.
        public let centreY: Double
        /// Half the object's width and height, in pixels.
        public let radius: Double
    }

    /// The options every picture is drawn with.
    public let options: Options
    private var random: SplitMix64

    /// A drawer whose sequence of pictures is fixed by `seed` and `options`.
    public init(seed: UInt64, options: Options = Options()) {
        self.options = options
        self.random = SplitMix64(seed: seed)
    }

    /// Draws the next picture. Every attribute left `nil` is chosen at random (uniformly);
    /// the random stream advances the same way whichever attributes are given.
    public mutating func draw(shape: ShapeKind? = nil, colour: ColourKind? = nil,
                              texture: TextureKind? = nil, background: BackgroundKind? = nil) -> Drawing {
        let randomShape = ShapeKind.allCases[random.index(ShapeKind.allCases.count)]
        let randomColour = ColourKind.allCases[random.index(ColourKind.allCases.count)]
        let randomTexture = TextureKind.allCases[random.index(TextureKind.allCases.count)]
        let randomBackground = BackgroundKind.allCases[random.index(BackgroundKind.allCases.count)]
        let scene = makeScene(shape: shape ?? randomShape, colour: colour ?? randomColour,
                              texture: texture ?? randomTexture, background: background ?? randomBackground)
        let image = render(scene)
        return Drawing(image: image, shape: scene.shape, colour: scene.colour, texture: scene.texture,
                       background: scene.background, centreX: scene.centreX, centreY: scene.centreY,
                       radius: scene.radius)
    }

    /// A picture of the background alone (no object), with the drawer's noise.
    public mutating func drawEmpty(background: BackgroundKind) -> Image {
        let level = background.level + random.uniform(-0.03, 0.03)
        let count = options.width * options.height
        var pixels = [UInt8](repeating: 0, count: count * 3)
        for index in 0..<(count * 3) {
            pixels[index] = Self.byte(level + options.noise * random.normal())
        }
        return Self.image(width: options.width, height: options.height, pixels: pixels)
    }

    // MARK: Scene

    /// Everything random about one picture, chosen before any pixel is drawn.
    struct Scene {
        var shape: ShapeKind
        var colour: ColourKind
        var texture: TextureKind
        var background: BackgroundKind
        var centreX = 0.0, centreY = 0.0, radius = 1.0
        /// Triangle height / width, diamond height / width.
        var aspect = 1.0
        /// Cross arm half-thickness / radius.
        var armRatio = 0.33
        var objectRGB: (Double, Double, Double) = (0, 0, 0)
        var textureRGB: (Double, Double, Double) = (0, 0, 0)
        var backgroundLevel = 0.5
        /// 0 horizontal, 1 vertical, 2 and 3 diagonal stripes.
        var stripeDirection = 0
        var period = 5.0, stripeWidth = 2.0, dotRadius = 1.0, phaseX = 0.0, phaseY = 0.0
    }

    private mutating func makeScene(shape: ShapeKind, colour: ColourKind, texture: TextureKind,
                                    background: BackgroundKind) -> Scene {
        var scene = Scene(shape: shape, colour: colour, texture: texture, background: background)
        let side = Double(min(options.width, options.height))
        let scale = side / 32
        scene.radius = side * random.uniform(0.17, 0.36)
        let marginX = min(scene.radius + scale, Double(options.width) / 2)
        let marginY = min(scene.radius + scale, Double(options.height) / 2)
        scene.centreX = random.uniform(marginX, Double(options.width) - marginX)
        scene.centreY = random.uniform(marginY, Double(options.height) - marginY)
        scene.aspect = random.uniform(0.85, 1.05)
        scene.armRatio = random.uniform(0.28, 0.40)

        let reference = colour.rgb
        let jitter = options.colourJitter
        let red = tint(reference.red + random.uniform(-jitter, jitter))
        let green = tint(reference.green + random.uniform(-jitter, jitter))
        let blue = tint(reference.blue + random.uniform(-jitter, jitter))
        scene.objectRGB = (red, green, blue)
        scene.backgroundLevel = background.level + random.uniform(-0.03, 0.03)

        // Stripes and dots: a darker shade, a lighter shade, or the background.
        let shadeChoice = random.index(3)
        let darken = random.uniform(0.5, 0.7)
        let lighten = random.uniform(0.4, 0.6)
        switch shadeChoice {
        case 0:
            scene.textureRGB = (red * darken, green * darken, blue * darken)
        case 1:
            scene.textureRGB = (red + (1 - red) * lighten, green + (1 - green) * lighten, blue + (1 - blue) * lighten)
        default:
            let level = scene.backgroundLevel
            scene.textureRGB = (level, level, level)
        }
        scene.stripeDirection = random.index(4)
        scene.period = scale * random.uniform(3.5, 6)
        scene.stripeWidth = min(scale * random.uniform(1, 2), scene.period / 2)
        scene.dotRadius = scale * random.uniform(0.8, 1.3)
        scene.phaseX = random.uniform(0, scene.period)
        scene.phaseY = random.uniform(0, scene.period)
        return scene
    }

    /// A colour channel after clamping and the pastel tint.
    private func tint(_ value: Double) -> Double {
        let clamped = min(max(value, 0), 1)
        return clamped + (1 - clamped) * options.pastel
    }

    // MARK: Rendering

    private mutating func render(_ scene: Scene) -> Image {
        let width = options.width
        let height = options.height
        var values = [Double](repeating: 0, count: width * height * 3)
        let left = Int((scene.centreX - scene.radius).rounded(.down)) - 1
        let right = Int((scene.centreX + scene.radius).rounded(.up)) + 1
        let top = Int((scene.centreY - scene.radius).rounded(.down)) - 1
        let bottom = Int((scene.centreY + scene.radius).rounded(.up)) + 1
        let level = scene.backgroundLevel
        for y in 0..<height {
            for x in 0..<width {
                var coverage = 0.0
                if x >= left && x <= right && y >= top && y <= bottom {
                    coverage = Self.coverage(scene, x: x, y: y)
                }
                var fill = scene.objectRGB
                if coverage > 0 && Self.inTexture(scene, x: Double(x) + 0.5, y: Double(y) + 0.5) {
                    fill = scene.textureRGB
                }
                let base = (y * width + x) * 3
                values[base] = level + (fill.0 - level) * coverage
                values[base + 1] = level + (fill.1 - level) * coverage
                values[base + 2] = level + (fill.2 - level) * coverage
            }
        }
        if options.softness > 0 {
            values = Self.softened(values, width: width, height: height, weight: options.softness)
        }
        var pixels = [UInt8](repeating: 0, count: values.count)
        for index in 0..<values.count {
            pixels[index] = Self.byte(values[index] + options.noise * random.normal())
        }
        return Self.image(width: width, height: height, pixels: pixels)
    }

    /// `values` (interleaved RGB) mixed with their 3x3 box blur (edges clamped) by `weight`.
    static func softened(_ values: [Double], width: Int, height: Int, weight: Double) -> [Double] {
        var result = values
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<3 {
                    var sum = 0.0
                    for dy in -1...1 {
                        let ny = min(max(y + dy, 0), height - 1)
                        for dx in -1...1 {
                            let nx = min(max(x + dx, 0), width - 1)
                            sum += values[(ny * width + nx) * 3 + c]
                        }
                    }
                    let index = (y * width + x) * 3 + c
                    result[index] = values[index] * (1 - weight) + sum / 9 * weight
                }
            }
        }
        return result
    }

    /// The fraction of pixel (x, y) inside the shape, from a 3x3 grid of samples. A pixel
    /// whose four corners are inside is wholly inside (the shapes are convex, or for the cross
    /// a union of two rectangles whose notch would leave a corner outside).
    static func coverage(_ scene: Scene, x: Int, y: Int) -> Double {
        let left = Double(x), top = Double(y)
        if contains(scene, x: left, y: top) && contains(scene, x: left + 1, y: top)
            && contains(scene, x: left, y: top + 1) && contains(scene, x: left + 1, y: top + 1) {
            return 1
        }
        var inside = 0
        for sy in 0..<3 {
            for sx in 0..<3 {
                let px = Double(x) + (Double(sx) + 0.5) / 3
                let py = Double(y) + (Double(sy) + 0.5) / 3
                if contains(scene, x: px, y: py) { inside += 1 }
            }
        }
        return Double(inside) / 9
    }

    /// Whether the point (x, y), in pixels, is inside the scene's shape.
    static func contains(_ scene: Scene, x: Double, y: Double) -> Bool {
        let r = scene.radius
        let dx = (x - scene.centreX) / r
        let dy = (y - scene.centreY) / r
        switch scene.shape {
        case .circle:
            return dx * dx + dy * dy <= 1
        case .square:
            return abs(dx) <= 0.88 && abs(dy) <= 0.88
        case .diamond:
            return abs(dx) + abs(dy) / scene.aspect <= 1
        case .triangle:
            // Apex at the top, base at the bottom; height 2 * aspect, base width 2.
            let half = scene.aspect
            guard dy >= -half && dy <= half else { return false }
            return abs(dx) <= (dy + half) / (2 * half)
        case .cross:
            let arm = scene.armRatio
            let horizontal = abs(dx) <= 1 && abs(dy) <= arm
            let vertical = abs(dy) <= 1 && abs(dx) <= arm
            return horizontal || vertical
        }
    }

    /// Whether the pixel centred at (x, y) takes the texture colour.
    static func inTexture(_ scene: Scene, x: Double, y: Double) -> Bool {
        switch scene.texture {
        case .plain:
            return false
        case .striped:
            var u: Double
            switch scene.stripeDirection {
            case 0: u = y
            case 1: u = x
            case 2: u = (x + y) * 0.707_106_78
            default: u = (x - y) * 0.707_106_78
            }
            u += scene.phaseX
            let offset = u - (u / scene.period).rounded(.down) * scene.period
            return offset < scene.stripeWidth
        case .dotted:
            let gx = x + scene.phaseX
            let gy = y + scene.phaseY
            let ox = gx - (gx / scene.period).rounded() * scene.period
            let oy = gy - (gy / scene.period).rounded() * scene.period
            return ox * ox + oy * oy <= scene.dotRadius * scene.dotRadius
        }
    }

    static func byte(_ value: Double) -> UInt8 {
        let scaled = (value * 255).rounded()
        if !(scaled > 0) { return 0 }
        if scaled >= 255 { return 255 }
        return UInt8(scaled)
    }

    static func image(width: Int, height: Int, pixels: [UInt8]) -> Image {
        // The sizes and pixel count are valid by construction.
        do {
            return try Image(width: width, height: height, channels: 3, pixels: pixels)
        } catch {
            fatalError("ShapesWorldDrawer built an invalid image: \(error)")
        }
    }
}
