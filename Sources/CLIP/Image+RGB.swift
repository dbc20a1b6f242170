import Images

extension Image {
    /// This image as 3-channel RGB, as transformers' image processors convert arrays: gray is
    /// repeated into the three channels; a colour or gray image with alpha is blended onto white
    /// (`alpha * c + (1 - alpha) * 255` in double precision, `alpha = a / 255`, rounded half to
    /// even) and the alpha dropped.
    public func rgb() throws(ImageError) -> Image {
        if channels == 3 { return self }
        var out = [UInt8](repeating: 0, count: width * height * 3)
        let colour = channels >= 3
        let hasAlpha = channels == 2 || channels == 4
        for p in 0..<(width * height) {
            let base = p * channels
            let alpha = hasAlpha ? Double(pixels[base + channels - 1]) / 255 : 1
            for c in 0..<3 {
                let v = pixels[base + (colour ? c : 0)]
                if hasAlpha {
                    let blended = alpha * Double(v) + (1 - alpha) * 255
                    out[p * 3 + c] = UInt8(clamping: Int(blended.rounded(.toNearestOrEven)))
                } else {
                    out[p * 3 + c] = v
                }
            }
        }
        return try Image(width: width, height: height, channels: 3, pixels: out)
    }
}
