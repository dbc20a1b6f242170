import XCTest
@testable import SafeTensors

final class HalfPrecisionTests: XCTestCase {
    func testHalfWideningKnownValues() {
        XCTAssertEqual(HalfPrecision.float(fromHalf: 0x3C00), 1)
        XCTAssertEqual(HalfPrecision.float(fromHalf: 0xC000), -2)
        XCTAssertEqual(HalfPrecision.float(fromHalf: 0x7BFF), 65504)
        XCTAssertEqual(HalfPrecision.float(fromHalf: 0x0001), 0x1p-24)      // smallest subnormal
        XCTAssertEqual(HalfPrecision.float(fromHalf: 0x03FF), 1023 * 0x1p-24) // largest subnormal
        XCTAssertEqual(HalfPrecision.float(fromHalf: 0x0400), 0x1p-14)      // smallest normal
        XCTAssertEqual(HalfPrecision.float(fromHalf: 0x8000).bitPattern, (-Float(0)).bitPattern)
        XCTAssertEqual(HalfPrecision.float(fromHalf: 0x7C00), .infinity)
        XCTAssertEqual(HalfPrecision.float(fromHalf: 0xFC00), -.infinity)
        XCTAssertTrue(HalfPrecision.float(fromHalf: 0x7E00).isNaN)
        XCTAssertTrue(HalfPrecision.float(fromHalf: 0x7C01).isNaN)
    }

    func testEveryHalfRoundTripsThroughFloat() {
        for bits in 0...UInt16.max {
            let value = HalfPrecision.float(fromHalf: bits)
            let back = HalfPrecision.halfBits(from: value)
            if value.isNaN {
                XCTAssertTrue(HalfPrecision.float(fromHalf: back).isNaN, "\(bits)")
            } else {
                XCTAssertEqual(back, bits, "bits \(bits) -> \(value) -> \(back)")
            }
        }
    }

    func testHalfNarrowingRoundsToNearestEven() {
        XCTAssertEqual(HalfPrecision.halfBits(from: 1 + 0x1p-11), 0x3C00)          // tie, even down
        XCTAssertEqual(HalfPrecision.halfBits(from: 1 + 3 * 0x1p-11), 0x3C02)      // tie, even up
        XCTAssertEqual(HalfPrecision.halfBits(from: 65519), 0x7BFF)
        XCTAssertEqual(HalfPrecision.halfBits(from: 65520), 0x7C00)                // rounds to inf
        XCTAssertEqual(HalfPrecision.halfBits(from: -1e9), 0xFC00)
        XCTAssertEqual(HalfPrecision.halfBits(from: 0x1p-25), 0x0000)              // tie to zero
        XCTAssertEqual(HalfPrecision.halfBits(from: 0x1p-25 * 1.5), 0x0001)
        XCTAssertEqual(HalfPrecision.halfBits(from: 3 * 0x1p-25), 0x0002)          // tie, even up
        XCTAssertEqual(HalfPrecision.halfBits(from: 1e-30), 0x0000)
        XCTAssertEqual(HalfPrecision.halfBits(from: 0x1p-14 - 0x1p-26), 0x0400)    // up to smallest normal
        XCTAssertEqual(HalfPrecision.halfBits(from: Float.leastNonzeroMagnitude), 0)
    }

    #if !(os(macOS) && arch(x86_64))
    func testHalfNarrowingMatchesFloat16() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200_000 {
            // Random bit patterns cover every exponent, including the rounding edges.
            let bits = UInt32.random(in: 0...UInt32.max, using: &generator)
            let value = Float(bitPattern: bits)
            if value.isNaN { continue }
            XCTAssertEqual(HalfPrecision.halfBits(from: value), Float16(value).bitPattern, "\(value)")
        }
        for bits in UInt32(0x3300_0000)...UInt32(0x3300_4000) {
            let value = Float(bitPattern: bits)
            XCTAssertEqual(HalfPrecision.halfBits(from: value), Float16(value).bitPattern, "\(value)")
        }
    }
    #endif

    func testBFloat16() {
        XCTAssertEqual(HalfPrecision.bfloat16Bits(from: 1), 0x3F80)
        XCTAssertEqual(HalfPrecision.bfloat16Bits(from: 1 + 0x1p-8), 0x3F80)       // tie, even down
        XCTAssertEqual(HalfPrecision.bfloat16Bits(from: 1 + 3 * 0x1p-8), 0x3F82)   // tie, even up
        XCTAssertEqual(HalfPrecision.bfloat16Bits(from: 1 + 0x1p-8 + 0x1p-20), 0x3F81)
        XCTAssertEqual(HalfPrecision.bfloat16Bits(from: .greatestFiniteMagnitude), 0x7F80)
        XCTAssertEqual(HalfPrecision.bfloat16Bits(from: -.infinity), 0xFF80)
        XCTAssertTrue(HalfPrecision.float(fromBFloat16: HalfPrecision.bfloat16Bits(from: .nan)).isNaN)
        for bits in 0...UInt16.max {
            let value = HalfPrecision.float(fromBFloat16: bits)
            if value.isNaN { continue }
            XCTAssertEqual(HalfPrecision.bfloat16Bits(from: value), bits)
        }
    }
}
