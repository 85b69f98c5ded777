import Foundation

/// Perceptual colour maps from a number in `[0, 1]` to a colour.
public enum ColorMap {
    /// An sRGB colour, each channel in `[0, 1]`.
    public struct Color: Sendable, Equatable {
        /// The channels, each in `[0, 1]`.
        public var red: Double, green: Double, blue: Double

        /// A colour from its channels in `[0, 1]`.
        public init(red: Double, green: Double, blue: Double) {
            self.red = red
            self.green = green
            self.blue = blue
        }

        /// `#rrggbb`.
        public var hex: String {
            let bytes = [red, green, blue].map { Int((Swift.min(Swift.max($0, 0), 1) * 255).rounded()) }
            return String(format: "#%02x%02x%02x", bytes[0], bytes[1], bytes[2])
        }

        /// The approximate perceived lightness, `0.2126 R + 0.7152 G + 0.0722 B` on the sRGB values.
        public var luminance: Double { 0.2126 * red + 0.7152 * green + 0.0722 * blue }
    }

    /// matplotlib's viridis (van der Walt and Smith, 2015), sampled at ten evenly spaced points
    /// (R's `viridis(10)`); lightness grows steadily from dark purple to yellow.
    static let viridisAnchors: [Color] = {
        let codes: [Int] = [
            0x440154, 0x482878, 0x3E4A89, 0x31688E, 0x26828E, 0x1F9E89, 0x35B779, 0x6DCD59, 0xB4DE2C, 0xFDE725
        ]
        return codes.map { code -> Color in
            let red = Double(code >> 16) / 255, green = Double((code >> 8) & 0xFF) / 255,
                blue = Double(code & 0xFF) / 255
            return Color(red: red, green: green, blue: blue)
        }
    }()

    /// The viridis colour of `t` (clamped to `[0, 1]`; NaN gives the lowest colour).
    public static func viridis(_ t: Double) -> Color {
        let clamped = t.isNaN ? 0 : Swift.min(Swift.max(t, 0), 1)
        let position = clamped * Double(viridisAnchors.count - 1)
        let index = Swift.min(Int(position), viridisAnchors.count - 2)
        let fraction = position - Double(index)
        let a = viridisAnchors[index], b = viridisAnchors[index + 1]
        return Color(
            red: a.red + (b.red - a.red) * fraction,
            green: a.green + (b.green - a.green) * fraction,
            blue: a.blue + (b.blue - a.blue) * fraction)
    }
}
