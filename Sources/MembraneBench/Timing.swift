import Foundation

/// Wall-clock seconds of one call.
func seconds(_ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// Median wall-clock seconds over `runs` calls after `warmup` untimed ones.
func medianSeconds(runs: Int, warmup: Int = 1, _ body: () -> Void) -> Double {
    for _ in 0..<warmup { body() }
    let times = (0..<runs).map { _ in seconds(body) }.sorted()
    return times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
}

/// Peak resident set size of this process in bytes (VmHWM from /proc/self/status).
func peakRSSBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        // "VmHWM:\t 4802432 kB", or with no space after the tab from 10 GB on.
        let kb = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { Int($0) }.first ?? 0
        return kb * 1024
    }
    return 0
}

/// One row of the printed benchmark table.
struct Row {
    var name: String
    var seconds: Double
    var flops: Double?
    var note: String = ""
}

/// Prints rows as a table; kernel rates are also shown as a fraction of `reference` (GFLOP/s).
func printTable(_ title: String, _ rows: [Row], reference: Double?) {
    print("\n## \(title)")
    print(pad("benchmark", 44) + pad("median", 12) + pad("GFLOP/s", 10) + pad("of sgemm", 10) + "note")
    for r in rows {
        var rate = "", frac = ""
        if let f = r.flops {
            let g = f / r.seconds / 1e9
            rate = String(format: "%.1f", g)
            if let reference { frac = String(format: "%.2f", g / reference) }
        }
        print(pad(r.name, 44) + pad(formatTime(r.seconds), 12) + pad(rate, 10) + pad(frac, 10) + r.note)
    }
}

func formatTime(_ s: Double) -> String {
    s >= 1 ? String(format: "%.2f s", s) : String(format: "%.2f ms", s * 1000)
}

func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
