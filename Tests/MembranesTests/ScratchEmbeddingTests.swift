import Foundation
@testable import Membranes
import StableDiffusion
import TensorEngine
import XCTest

final class ScratchEmbeddingTests: XCTestCase {
    func cos(_ a: [Float], _ b: [Float]) -> Float {
        var d = 0.0, na = 0.0, nb = 0.0
        for i in a.indices { d += Double(a[i]*b[i]); na += Double(a[i]*a[i]); nb += Double(b[i]*b[i]) }
        return Float(d / (na.squareRoot() * nb.squareRoot()))
    }
    func testMeasure() throws {
        let model = try StableDiffusionModel(directory: URL(fileURLWithPath: "/work/shared/models/shapesworld-a-synonyms"))
        let t = model.tokenizer
        let prompts = ["red", "a red", "ruby", "a ruby", "orange", "a orange", "an orange", "amber", "a amber", "a plum", "plum", "a red circle","a ruby circle","a cherry square","a blue circle","a sapphire circle","a green square","a moss cross","a yellow diamond","a purple square","a plum circle","an orange circle","an amber triangle","red","ruby","a circle","a photo of a cat","a crimson square","a scarlet circle", "a rose square", "a maroon circle", "a reed circle"]
        func rows(_ p: String) -> (ids: [Int32], h: [[Float]]) {
            let ids = t.encode(p)
            let e = model.encode(prompts: [p])
            let d = e.shape[2]
            let s = e.scalars
            return (ids, (0..<ids.count).map { Array(s[($0*d)..<(($0+1)*d)]) })
        }
        let vocab = (0..<Int(t.vocabularySize)).compactMap { t.token(for: Int32($0)) }.filter { $0.hasSuffix("</w>") && $0.count > 5 }.map { String($0.dropLast(4)) }
        var mu = [Float](repeating: 0, count: 64); var n = 0
        var vocabRows: [(String, [[Float]], [Int])] = []
        for w in vocab {
            let r = rows(w)
            let content = r.ids.indices.filter { r.ids[$0] != t.bosID && r.ids[$0] != t.eosID && r.ids[$0] != t.padID }
            for j in content { for k in 0..<64 { mu[k] += r.h[j][k] }; n += 1 }
            vocabRows.append((w, r.h, content))
        }
        mu = mu.map { $0 / Float(n) }
        func c(_ v: [Float]) -> [Float] { zip(v, mu).map { $0 - $1 } }
        let tc = c(rows("red").h[1])
        for (w, h, content) in vocabRows { print("VOCAB \(w) \(content.map { cos(c(h[$0]), tc) }.max()!)") }
        let target = rows("red")
        let tpos = 1
        let tv = target.h[tpos]
        let eosT = target.h[target.ids.firstIndex(of: t.eosID)!]
        let tmpl = rows("a red circle"); let tv2 = tmpl.h[2]
        for p in prompts {
            let r = rows(p)
            let content = r.ids.indices.filter { r.ids[$0] != t.bosID && r.ids[$0] != t.eosID && r.ids[$0] != t.padID }
            let m1 = content.map { cos(r.h[$0], tv) }.max() ?? 0
            let m2 = content.map { cos(r.h[$0], tv2) }.max() ?? 0
            let eos = cos(r.h[r.ids.firstIndex(of: t.eosID)!], eosT)
            let cc = content.map { cos(c(r.h[$0]), tc) }.max() ?? 0
            print(String(format: "%-22@ centered %.3f alone %.3f  inTemplate %.3f  eos %.3f  tokens %@", p, cc, m1, m2, eos, content.map { "\(r.ids[$0])" }.joined(separator: ",")))
        }
    }
}
final class ScratchProbeTests: XCTestCase {
    func testProbe() throws {
        for path in ["/work/shared/models/shapesworld-a-synonyms"] {
            let model = try StableDiffusionModel(directory: URL(fileURLWithPath: path))
            let probe = ConceptProbe(model: model)
            let start = Date()
            for target in ["orange", "red", "blue", "triangle"] {
                let c = probe.calibrate(target: target)
                print("PROBE \(path.split(separator: "/").last!) \(target) low \(c.low) high \(c.high) n \(c.sampleSize) \(Date().timeIntervalSince(start))s")
                let prompts = ["red", "a red", "ruby", "a ruby", "orange", "a orange", "an orange", "amber", "a amber", "a plum", "plum", "a red circle","a ruby circle","a cherry square","a blue circle","a sapphire circle","a green square","a moss cross","a yellow diamond","a purple square","a plum circle","an orange circle","an amber triangle","a red triangle","a blue triangle", "a circle", "a crimson square","a scarlet circle", "a rose square", "a photo of a cat"]
                let s = probe.scores(prompts: prompts, calibrations: [c])[0]
                for (p, v) in zip(prompts, s) { print(String(format: "PROBE   %-20@ %.3f -> %.2f", p, v, c.multiplier(score: v))) }
            }
        }
    }
}
